// What an engine is asked to run and what it gives back.

export interface StatementRequest {
  sql: string;
  params: unknown[];
  maxRows: number;
  timeoutMs: number;
  readOnly: boolean;
}

export interface QueryField {
  name: string;
  type?: string;
}

export interface QueryOutput {
  rows: Array<Record<string, unknown>>;
  /** Rows the statement returned (all of them, also past maxRows) or affected. */
  rowCount: number;
  fields: QueryField[];
  truncated: boolean;
}

/** After a client-side interrupt, wait this long for the cancel to land and the statement to end. */
export const INTERRUPT_GRACE_MS = 3_000;
/** The client-side deadline trails the server-side statement timeout by this much. */
export const DEADLINE_SLACK_MS = 2_000;
