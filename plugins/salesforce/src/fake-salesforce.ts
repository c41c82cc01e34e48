// A local stand-in for a Salesforce org's REST API, speaking its wire format: the versioned
// /services/data/vXX.X paths, Bearer sessions (401 INVALID_SESSION_ID otherwise), sObject create
// (201 { id, success, errors }) and update (204), SOQL query pages (totalSize / done /
// nextRecordsUrl, /query/<locator>, /queryAll), /limits, /services/apexrest, error arrays
// ([{ message, errorCode, fields }]) and the Sforce-Limit-Info header on every API answer.
// For tests only (excluded from the published package).
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';

export type SObjectRecord = Record<string, unknown> & { Id: string };

interface ObjectSchema {
  prefix: string;
  fields: string[];
  required: string[];
}

const STANDARD: Record<string, ObjectSchema> = {
  Account: { prefix: '001', fields: ['Name', 'Industry', 'Phone', 'Website', 'Type', 'AnnualRevenue', 'NumberOfEmployees', 'Description'], required: ['Name'] },
  Contact: { prefix: '003', fields: ['FirstName', 'LastName', 'Email', 'Phone', 'Title', 'AccountId', 'Description'], required: ['LastName'] },
  Lead: { prefix: '00Q', fields: ['FirstName', 'LastName', 'Company', 'Email', 'Phone', 'LeadSource', 'Status', 'Description'], required: ['LastName', 'Company'] },
  Opportunity: { prefix: '006', fields: ['Name', 'StageName', 'CloseDate', 'Amount', 'AccountId', 'Description'], required: ['Name', 'StageName', 'CloseDate'] },
};

export interface FakeSalesforceOptions {
  version?: string;
  /** Access tokens the org accepts (more can be added later with `acceptToken`). */
  tokens?: string[];
  /** Records per query page (Salesforce: 2000 by default). */
  pageSize?: number;
  /** Custom objects and their fields, e.g. { Invoice__c: ['Name', 'Amount__c'] } (Name is required). */
  customObjects?: Record<string, string[]>;
  /** Apex REST handlers by "METHOD /path" (path under /services/apexrest). */
  apex?: Record<string, (req: { query: URLSearchParams; body: unknown }) => FakeResponse>;
  apiLimit?: number;
}

const sfErrors = (status: number, ...errors: Array<{ message: string; errorCode: string; fields?: string[] }>): FakeResponse => ({ status, json: errors });
const notFound = () => sfErrors(404, { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' });

export class FakeSalesforce {
  readonly version: string;
  readonly tokens: Set<string>;
  readonly objects: Record<string, ObjectSchema>;
  /** Every record by object name, then id. */
  readonly records = new Map<string, Map<string, SObjectRecord>>();
  private readonly cursors = new Map<string, { rows: Record<string, unknown>[]; totalSize: number }>();
  private readonly failures: FakeResponse[] = [];
  private counter = 0;
  apiUsage = 0;

  constructor(private readonly options: FakeSalesforceOptions = {}) {
    this.version = options.version ?? '59.0';
    this.tokens = new Set(options.tokens ?? []);
    this.objects = { ...STANDARD };
    for (const [name, fields] of Object.entries(options.customObjects ?? {})) {
      this.objects[name] = { prefix: 'a0' + String.fromCharCode(65 + (Object.keys(this.objects).length % 26)), fields: ['Name', ...fields.filter((f) => f !== 'Name')], required: ['Name'] };
    }
  }

  acceptToken(token: string) {
    this.tokens.add(token);
  }

  revokeToken(token: string) {
    this.tokens.delete(token);
  }

  /** The next API request (after the session check) gets this answer instead. */
  failNext(response: FakeResponse) {
    this.failures.push(response);
  }

  /** Adds a record directly (test set-up); returns its id. */
  insert(type: string, fields: Record<string, unknown>): string {
    const schema = this.objects[type];
    if (!schema) throw new Error(`unknown object ${type}`);
    const id = `${schema.prefix}D0000000${String(++this.counter).padStart(4, '0')}AAA`;
    const now = new Date().toISOString().replace('Z', '+0000');
    const table = this.records.get(type) ?? new Map<string, SObjectRecord>();
    table.set(id, { Id: id, IsDeleted: false, CreatedDate: now, LastModifiedDate: now, ...fields });
    this.records.set(type, table);
    return id;
  }

  get(type: string, id: string): SObjectRecord | undefined {
    return this.records.get(type)?.get(id);
  }

  handle(req: RecordedRequest): FakeResponse | undefined {
    const url = new URL(req.url, 'http://fake');
    const apiPrefix = `/services/data/v${this.version}`;
    const isData = url.pathname.startsWith('/services/data/');
    const isApex = url.pathname.startsWith('/services/apexrest/');
    if (!isData && !isApex) return undefined;
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !this.tokens.has(token)) return sfErrors(401, { message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' });
    this.apiUsage += 1;
    const answer = this.failures.shift() ?? (isApex ? this.apexRoute(req, url) : url.pathname.startsWith(`${apiPrefix}/`) ? this.dataRoute(req, url, url.pathname.slice(apiPrefix.length)) : notFound());
    return { ...answer, headers: { 'sforce-limit-info': `api-usage=${this.apiUsage}/${this.options.apiLimit ?? 15000}`, ...answer.headers } };
  }

  private dataRoute(req: RecordedRequest, url: URL, path: string): FakeResponse {
    if (req.method === 'GET' && path === '/limits') {
      const max = this.options.apiLimit ?? 15000;
      return { json: { DailyApiRequests: { Max: max, Remaining: max - this.apiUsage }, DailyBulkApiBatches: { Max: 15000, Remaining: 15000 } } };
    }
    if (req.method === 'GET' && (path === '/query' || path === '/query/' || path === '/queryAll' || path === '/queryAll/')) {
      return this.startQuery(url.searchParams.get('q') ?? '', path.startsWith('/queryAll'));
    }
    const more = /^\/query(?:All)?\/([A-Za-z0-9]+-\d+)$/.exec(path);
    if (req.method === 'GET' && more) return this.queryPage(more[1]!);
    const sobject = /^\/sobjects\/([A-Za-z0-9_]+)(?:\/([A-Za-z0-9]+))?$/.exec(path);
    if (sobject) {
      const [, type, id] = sobject;
      const schema = this.objects[type!];
      if (!schema) return notFound();
      if (req.method === 'POST' && !id) return this.create(type!, schema, req);
      if (req.method === 'PATCH' && id) return this.update(type!, schema, id, req);
      if (req.method === 'GET' && id) {
        const record = this.get(type!, id);
        return record ? { json: this.shape(type!, record) } : notFound();
      }
      return sfErrors(405, { errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${req.method}' not allowed. Allowed are GET,PATCH,DELETE` });
    }
    return notFound();
  }

  private checkFields(type: string, schema: ObjectSchema, body: unknown): { error: FakeResponse } | { fields: Record<string, unknown> } {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: sfErrors(400, { errorCode: 'JSON_PARSER_ERROR', message: 'Cannot deserialize instance of sObject from the request body' }) };
    for (const name of Object.keys(body)) {
      if (!schema.fields.includes(name)) return { error: sfErrors(400, { errorCode: 'INVALID_FIELD', message: `No such column '${name}' on sobject of type ${type}`, fields: [] }) };
    }
    return { fields: body as Record<string, unknown> };
  }

  private create(type: string, schema: ObjectSchema, req: RecordedRequest): FakeResponse {
    const checked = this.checkFields(type, schema, req.json);
    if ('error' in checked) return checked.error;
    const { fields } = checked;
    const missing = schema.required.filter((f) => fields[f] === undefined || fields[f] === null || fields[f] === '');
    if (missing.length) return sfErrors(400, { message: `Required fields are missing: [${missing.join(', ')}]`, errorCode: 'REQUIRED_FIELD_MISSING', fields: missing });
    const id = this.insert(type, fields);
    return { status: 201, json: { id, success: true, errors: [] } };
  }

  private update(type: string, schema: ObjectSchema, id: string, req: RecordedRequest): FakeResponse {
    if (!/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/.test(id)) return sfErrors(400, { errorCode: 'MALFORMED_ID', message: `${type} ID: id value of incorrect type: ${id}`, fields: ['Id'] });
    const record = this.get(type, id);
    if (!record) return notFound();
    const checked = this.checkFields(type, schema, req.json);
    if ('error' in checked) return checked.error;
    Object.assign(record, checked.fields, { LastModifiedDate: new Date().toISOString().replace('Z', '+0000') });
    return { status: 204 };
  }

  private shape(type: string, record: Record<string, unknown>, select?: string[]): Record<string, unknown> {
    const attributes = { type, url: `/services/data/v${this.version}/sobjects/${type}/${String(record.Id)}` };
    if (!select) return { attributes, ...record };
    return { attributes, ...Object.fromEntries(select.map((f) => [f, record[f] ?? null])) };
  }

  /** A small SOQL subset: SELECT fields FROM Object [WHERE a = x AND b IN (…)] [LIMIT n]. */
  private startQuery(soql: string, all: boolean): FakeResponse {
    const m = /^\s*SELECT\s+(.+?)\s+FROM\s+([A-Za-z0-9_]+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+[A-Za-z0-9_]+(?:\s+(?:ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(soql);
    if (!m) return sfErrors(400, { message: `unexpected token: '${soql.trim().split(/\s+/).pop() ?? ''}'`, errorCode: 'MALFORMED_QUERY' });
    const [, fieldList, type, where, limit] = m;
    const schema = this.objects[type!];
    if (!schema) return sfErrors(400, { message: `sObject type '${type}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`, errorCode: 'INVALID_TYPE' });
    const known = ['Id', 'IsDeleted', 'CreatedDate', 'LastModifiedDate', ...schema.fields];
    const select = fieldList!.split(',').map((f) => f.trim());
    const unknown = select.find((f) => !known.includes(f));
    if (unknown) return sfErrors(400, { message: `No such column '${unknown}' on entity '${type}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`, errorCode: 'INVALID_FIELD' });
    let conditions: Array<(r: Record<string, unknown>) => boolean>;
    try {
      conditions = where ? where.split(/\s+AND\s+/i).map((c) => parseCondition(c, known)) : [];
    } catch (err) {
      return sfErrors(400, { message: (err as Error).message, errorCode: 'MALFORMED_QUERY' });
    }
    let rows = [...(this.records.get(type!)?.values() ?? [])].filter((r) => (all || !r.IsDeleted) && conditions.every((c) => c(r)));
    if (limit) rows = rows.slice(0, Number(limit));
    const cursor = `01gD0000000${String(this.cursors.size + 1).padStart(4, '0')}`;
    this.cursors.set(cursor, { rows: rows.map((r) => this.shape(type!, r, select)), totalSize: rows.length });
    return this.queryPage(`${cursor}-0`);
  }

  private queryPage(locator: string): FakeResponse {
    const [cursor, offsetText] = locator.split('-');
    const stored = this.cursors.get(cursor!);
    if (!stored) return sfErrors(400, { errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' });
    const offset = Number(offsetText);
    const size = this.options.pageSize ?? 2000;
    const records = stored.rows.slice(offset, offset + size);
    const done = offset + size >= stored.rows.length;
    return {
      json: { totalSize: stored.totalSize, done, ...(done ? {} : { nextRecordsUrl: `/services/data/v${this.version}/query/${cursor}-${offset + size}` }), records },
    };
  }

  private apexRoute(req: RecordedRequest, url: URL): FakeResponse {
    const path = url.pathname.slice('/services/apexrest'.length);
    const handler = this.options.apex?.[`${req.method} ${path}`];
    if (!handler) return sfErrors(404, { errorCode: 'NOT_FOUND', message: `Could not find a match for URL ${path}` });
    return handler({ query: url.searchParams, body: req.json });
  }
}

/** `Field = 'x'`, `Field = 3`, `Field = true|null`, `Field IN ('a', 'b')`. */
function parseCondition(text: string, known: string[]): (r: Record<string, unknown>) => boolean {
  const m = /^\s*([A-Za-z0-9_]+)\s*(=|!=|IN)\s*(.+?)\s*$/i.exec(text);
  if (!m || !known.includes(m[1]!)) throw new Error(`unexpected condition: ${text.trim()}`);
  const [, field, op, raw] = m;
  const values = op!.toUpperCase() === 'IN' ? splitList(raw!) : [raw!];
  const wanted = values.map(parseLiteral);
  const test = (r: Record<string, unknown>) => wanted.some((w) => (r[field!] ?? null) === w);
  return op === '!=' ? (r) => !test(r) : test;
}

function splitList(raw: string): string[] {
  const inner = /^\((.*)\)$/s.exec(raw.trim());
  if (!inner) throw new Error(`expected a list after IN: ${raw}`);
  return inner[1]!.match(/'(?:[^'\\]|\\.)*'|[^,\s]+/g) ?? [];
}

function parseLiteral(raw: string): unknown {
  const text = raw.trim();
  if (/^'.*'$/s.test(text)) return text.slice(1, -1).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' })[c] ?? c);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^null$/i.test(text)) return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  throw new Error(`unexpected token: ${text}`);
}

export interface RunningFakeSalesforce extends FakeServer {
  sf: FakeSalesforce;
}

/** A fake org on a loopback port; `extra` answers anything else first (e.g. OAuth routes). */
export async function startFakeSalesforce(
  options: FakeSalesforceOptions = {},
  extra?: (req: RecordedRequest, sf: FakeSalesforce) => FakeResponse | undefined,
): Promise<RunningFakeSalesforce> {
  const sf = new FakeSalesforce(options);
  const server = await startFakeServer((req) => extra?.(req, sf) ?? sf.handle(req) ?? notFound());
  return Object.assign(server, { sf });
}
