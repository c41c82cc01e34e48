// The API's global ids (Relay style, as @pothos/plugin-relay encodes them: base64 of
// "<Type>:<id>"), for values the worker hands to users, e.g. a flow step's team_member_id.
export function globalIdOf(typename: string, id: string): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64');
}
