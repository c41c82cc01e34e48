// For connector tests: GraphQL as the org's admin with every answer kept (each file checks at the
// end that no credential shows up in any of them), an action run through runAction to its end,
// read back from the Run row, and the hub's teardown.
import type { TestHub, TestOrg } from '../harness.ts';

const RunAction = `mutation($input: RunActionInput!) { runAction(input: $input) { id status workflowId } }`;
const RunQuery = `query($id: ID!) { run(id: $id) { id status attempts input output error } }`;

export interface FinishedRun<Output = any> {
  id: string;
  status: string;
  attempts: number;
  input: unknown;
  output: Output;
  error: string | null;
}

/**
 * `session` returns the file's hub and org; it is called on each request, so the kit can be made
 * at module level while the hub and org are started later, in beforeAll.
 */
export function connectorKit(session: () => { hub: TestHub; org: TestOrg }) {
  const responses: unknown[] = [];

  /** Runs one operation as the org's admin and returns its data; GraphQL errors fail the test. */
  async function gql<T>(doc: string, variables: Record<string, unknown> = {}): Promise<T> {
    const { hub, org } = session();
    const result = await hub.gql<T, Record<string, unknown>>(doc, variables, org.tokens.ADMIN);
    responses.push(result);
    if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return result.data;
  }

  /** Starts `action` with runAction, waits for its workflow, and returns the Run as GraphQL shows it. */
  async function runToEnd<Output = any>(connectionId: string, action: string, input: unknown): Promise<FinishedRun<Output>> {
    const { runAction } = await gql<{ runAction: { id: string; workflowId: string } }>(RunAction, { input: { connectionId, action, input } });
    // A failed run fails its workflow too; the Run row says how, so the workflow's failure is not the test's.
    await session().hub.hub.temporal.client.workflow.getHandle(runAction.workflowId).result().catch(() => undefined);
    const { run } = await gql<{ run: FinishedRun<Output> }>(RunQuery, { id: runAction.id });
    return run;
  }

  /** For afterAll: deletes the org and stops the hub, whichever of them beforeAll got to start. */
  async function stopHub(): Promise<void> {
    const { hub, org } = session() as { hub?: TestHub; org?: TestOrg };
    if (hub && org) await hub.db.prisma.organization.deleteMany({ where: { id: org.id } }).catch(() => undefined);
    await hub?.stop();
  }

  return { responses, gql, runToEnd, stopHub };
}
