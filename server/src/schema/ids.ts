import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { badInput } from '../errors.ts';

/** The database id inside a global id, after checking it names the expected type. */
export function localId(globalId: string, typename: string, argName = 'id'): string {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw badInput(`${argName} is not a valid id`, [{ path: argName, message: 'not a valid global id' }]);
  }
  if (decoded.typename !== typename) {
    throw badInput(`${argName} must be a ${typename} id, got a ${decoded.typename} id`, [
      { path: argName, message: `expected a ${typename} id` },
    ]);
  }
  return decoded.id;
}

export const globalId = (typename: string, id: string | null | undefined) => (id ? encodeGlobalID(typename, id) : null);
