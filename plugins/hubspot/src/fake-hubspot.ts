// A local stand-in for HubSpot's CRM v3 API, speaking its wire format: Bearer tokens (401
// INVALID_AUTHENTICATION otherwise), /crm/v3/objects/contacts (list, create with 409 CONFLICT on
// a known email, PATCH by id or ?idProperty=email), /crm/v3/objects/contacts/search (filterGroups,
// sorts, properties, limit ≤ 200, string `after` cursors, the 10,000-result window),
// /crm/v3/objects/deals with inline associations, error bodies { status: 'error', message,
// correlationId, category }, and the X-HubSpot-RateLimit-* headers (429 with Retry-After when
// the burst budget runs out). For tests only (excluded from the published package).
import { randomUUID } from 'node:crypto';
import { startFakeServer, type FakeResponse, type FakeServer, type RecordedRequest } from '@patchbay/sdk/testing';

export interface FakeObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  /** Deal → contact associations: [contactId, associationTypeId]. */
  associations: Array<{ toId: string; typeId: number }>;
}

export interface FakeHubSpotOptions {
  /** Tokens the portal accepts (private-app tokens and OAuth access tokens alike). */
  tokens: string[];
  /** Extra custom contact properties the portal knows. */
  contactProperties?: string[];
  /** Requests allowed per 10-second window before 429 (default: unlimited). */
  burstLimit?: number;
}

const CONTACT_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'company', 'jobtitle', 'website', 'lifecyclestage', 'createdate', 'lastmodifieddate', 'hs_object_id'];
const DEAL_PROPERTIES = ['dealname', 'amount', 'pipeline', 'dealstage', 'closedate', 'hubspot_owner_id', 'description', 'createdate', 'hs_lastmodifieddate', 'hs_object_id'];
const DEFAULT_CONTACT_OUTPUT = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];
const DEFAULT_DEAL_OUTPUT = ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'];
const SEARCH_WINDOW = 10_000;
const DEAL_TO_CONTACT = 3;

function hubspotError(status: number, category: string, message: string, extra: Record<string, unknown> = {}): FakeResponse {
  return { status, json: { status: 'error', message, correlationId: randomUUID(), category, ...extra } };
}

export class FakeHubSpot {
  readonly tokens: Set<string>;
  readonly contacts = new Map<string, FakeObject>();
  readonly deals = new Map<string, FakeObject>();
  private readonly contactProperties: string[];
  private readonly failures: FakeResponse[] = [];
  private nextId = 101;
  private windowStart = Date.now();
  private windowCount = 0;
  dailyUsed = 0;

  constructor(private readonly options: FakeHubSpotOptions) {
    this.tokens = new Set(options.tokens);
    this.contactProperties = [...CONTACT_PROPERTIES, ...(options.contactProperties ?? [])];
  }

  /** The next API request (after the token check) gets this answer instead. */
  failNext(response: FakeResponse) {
    this.failures.push(response);
  }

  /** Adds a contact directly (test set-up); `updatedAt` may be given to shape a sync. */
  addContact(properties: Record<string, string>, updatedAt = new Date().toISOString()): FakeObject {
    const id = String(this.nextId++);
    const contact: FakeObject = {
      id,
      properties: { ...properties, hs_object_id: id, createdate: updatedAt, lastmodifieddate: updatedAt },
      createdAt: updatedAt,
      updatedAt,
      archived: false,
      associations: [],
    };
    this.contacts.set(id, contact);
    return contact;
  }

  handle(req: RecordedRequest): FakeResponse {
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !this.tokens.has(token)) {
      return hubspotError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview');
    }
    this.dailyUsed += 1;
    if (Date.now() - this.windowStart >= 10_000) {
      this.windowStart = Date.now();
      this.windowCount = 0;
    }
    this.windowCount += 1;
    const limit = this.options.burstLimit;
    const headers = {
      'x-hubspot-ratelimit-daily': '250000',
      'x-hubspot-ratelimit-daily-remaining': String(250000 - this.dailyUsed),
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-max': String(limit ?? 100),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, (limit ?? 100) - this.windowCount)),
      'x-hubspot-correlation-id': randomUUID(),
    };
    if (limit !== undefined && this.windowCount > limit) {
      const answer = hubspotError(429, 'RATE_LIMITS', 'You have reached your ten_secondly_rolling limit.', { errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' });
      return { ...answer, headers: { ...headers, 'retry-after': '1' } };
    }
    const answer = this.failures.shift() ?? this.route(req);
    return { ...answer, headers: { ...headers, ...answer.headers } };
  }

  private route(req: RecordedRequest): FakeResponse {
    const url = new URL(req.url, 'http://fake');
    const path = url.pathname;
    if (path === '/crm/v3/objects/contacts' && req.method === 'GET') return this.list(url);
    if (path === '/crm/v3/objects/contacts' && req.method === 'POST') return this.createContact(req.json);
    if (path === '/crm/v3/objects/contacts/search' && req.method === 'POST') return this.search(req.json);
    const one = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(path);
    if (one && req.method === 'PATCH') return this.updateContact(decodeURIComponent(one[1]!), url.searchParams.get('idProperty'), req.json);
    if (path === '/crm/v3/objects/deals' && req.method === 'POST') return this.createDeal(req.json);
    return { status: 404, body: '', headers: { 'content-type': 'text/html' } };
  }

  private shape(object: FakeObject, wanted: string[]) {
    return {
      id: object.id,
      properties: Object.fromEntries(wanted.map((p) => [p, object.properties[p] ?? null])),
      createdAt: object.createdAt,
      updatedAt: object.updatedAt,
      archived: object.archived,
    };
  }

  private invalidProperties(properties: Record<string, unknown>, known: string[]): FakeResponse | undefined {
    const unknown = Object.keys(properties).filter((p) => !known.includes(p));
    if (!unknown.length) return undefined;
    const details = unknown.map((name) => ({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name, localizedErrorMessage: `Property "${name}" does not exist` }));
    return hubspotError(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(details)}`);
  }

  private list(url: URL): FakeResponse {
    const limit = Number(url.searchParams.get('limit') ?? 10);
    const offset = Number(url.searchParams.get('after') ?? 0);
    const all = [...this.contacts.values()];
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? String(offset + limit) : undefined;
    return { json: { results: page.map((c) => this.shape(c, DEFAULT_CONTACT_OUTPUT)), ...(next ? { paging: { next: { after: next, link: `?after=${next}` } } } : {}) } };
  }

  private createContact(body: unknown): FakeResponse {
    const properties = ((body as { properties?: Record<string, string> })?.properties ?? {}) as Record<string, string>;
    const invalid = this.invalidProperties(properties, this.contactProperties);
    if (invalid) return invalid;
    const email = properties.email?.toLowerCase();
    const existing = email ? [...this.contacts.values()].find((c) => c.properties.email?.toLowerCase() === email) : undefined;
    if (existing) return hubspotError(409, 'CONFLICT', `Contact already exists. Existing ID: ${existing.id}`);
    const contact = this.addContact(properties);
    return { status: 201, json: this.shape(contact, [...new Set([...DEFAULT_CONTACT_OUTPUT, ...Object.keys(properties)])]) };
  }

  private updateContact(idOrEmail: string, idProperty: string | null, body: unknown): FakeResponse {
    const contact =
      idProperty === 'email'
        ? [...this.contacts.values()].find((c) => c.properties.email?.toLowerCase() === idOrEmail.toLowerCase())
        : idProperty === null || idProperty === 'hs_object_id'
          ? this.contacts.get(idOrEmail)
          : undefined;
    if (!contact) return hubspotError(404, 'OBJECT_NOT_FOUND', 'resource not found');
    const properties = ((body as { properties?: Record<string, string> })?.properties ?? {}) as Record<string, string>;
    const invalid = this.invalidProperties(properties, this.contactProperties);
    if (invalid) return invalid;
    const now = new Date().toISOString();
    Object.assign(contact.properties, properties, { lastmodifieddate: now });
    contact.updatedAt = now;
    return { json: this.shape(contact, [...new Set([...DEFAULT_CONTACT_OUTPUT, ...Object.keys(properties)])]) };
  }

  private search(body: unknown): FakeResponse {
    const request = (body ?? {}) as {
      query?: string;
      filterGroups?: Array<{ filters: Array<{ propertyName: string; operator: string; value?: string; highValue?: string; values?: string[] }> }>;
      sorts?: Array<{ propertyName: string; direction?: string } | string>;
      properties?: string[];
      limit?: number;
      after?: string;
    };
    const limit = request.limit ?? 10;
    const after = Number(request.after ?? 0);
    if (limit > 200) return hubspotError(400, 'VALIDATION_ERROR', 'Limit must be less than or equal to 200.');
    if (after + limit > SEARCH_WINDOW) return hubspotError(400, 'VALIDATION_ERROR', 'There was a problem with the request.', { subCategory: 'PUBLIC_OBJECT_SEARCH_LIMIT_EXCEEDED' });
    const groups = request.filterGroups ?? [];
    if (groups.length > 5 || groups.some((g) => g.filters.length > 6)) return hubspotError(400, 'VALIDATION_ERROR', 'Too many filters or filter groups.');
    const q = request.query?.toLowerCase();
    let rows = [...this.contacts.values()].filter(
      (c) =>
        (!groups.length || groups.some((g) => g.filters.every((f) => matches(c.properties[f.propertyName] ?? null, f)))) &&
        (!q || ['email', 'firstname', 'lastname', 'phone', 'company'].some((p) => c.properties[p]?.toLowerCase().includes(q))),
    );
    const sort = request.sorts?.[0];
    if (sort) {
      const name = typeof sort === 'string' ? sort.replace(/^-/, '') : sort.propertyName;
      const descending = typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING';
      rows = rows.sort((a, b) => compare(a.properties[name] ?? null, b.properties[name] ?? null) * (descending ? -1 : 1));
    } else {
      rows = rows.sort((a, b) => Number(a.id) - Number(b.id));
    }
    const page = rows.slice(after, after + limit);
    const next = after + limit < rows.length ? String(after + limit) : undefined;
    return {
      json: {
        total: rows.length,
        results: page.map((c) => this.shape(c, request.properties?.length ? request.properties : DEFAULT_CONTACT_OUTPUT)),
        ...(next ? { paging: { next: { after: next, link: `?after=${next}` } } } : {}),
      },
    };
  }

  private createDeal(body: unknown): FakeResponse {
    const input = (body ?? {}) as { properties?: Record<string, string>; associations?: Array<{ to: { id: string }; types: Array<{ associationCategory: string; associationTypeId: number }> }> };
    const properties = input.properties ?? {};
    const invalid = this.invalidProperties(properties, DEAL_PROPERTIES);
    if (invalid) return invalid;
    const associations: FakeObject['associations'] = [];
    for (const association of input.associations ?? []) {
      for (const type of association.types) {
        if (type.associationCategory !== 'HUBSPOT_DEFINED' || type.associationTypeId !== DEAL_TO_CONTACT || !this.contacts.has(association.to.id)) {
          return hubspotError(400, 'VALIDATION_ERROR', `One or more associations are invalid: ${association.to.id} is not a valid contact for association type ${type.associationTypeId}`);
        }
        associations.push({ toId: association.to.id, typeId: type.associationTypeId });
      }
    }
    const id = String(this.nextId++);
    const now = new Date().toISOString();
    const deal: FakeObject = { id, properties: { ...properties, hs_object_id: id, createdate: now, hs_lastmodifieddate: now }, createdAt: now, updatedAt: now, archived: false, associations };
    this.deals.set(id, deal);
    return { status: 201, json: this.shape(deal, [...new Set([...DEFAULT_DEAL_OUTPUT, ...Object.keys(properties)])]) };
  }
}

/** Dates compare as instants (ISO strings or epoch milliseconds), numbers as numbers, else text. */
function comparable(value: string): number | string {
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(ms) ? value.toLowerCase() : ms;
}

function compare(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  const x = comparable(a);
  const y = comparable(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function matches(actual: string | null, filter: { operator: string; value?: string; highValue?: string; values?: string[] }): boolean {
  const value = filter.value ?? '';
  switch (filter.operator) {
    case 'EQ':
      return actual !== null && compare(actual, value) === 0;
    case 'NEQ':
      return actual === null || compare(actual, value) !== 0;
    case 'LT':
      return actual !== null && compare(actual, value) < 0;
    case 'LTE':
      return actual !== null && compare(actual, value) <= 0;
    case 'GT':
      return actual !== null && compare(actual, value) > 0;
    case 'GTE':
      return actual !== null && compare(actual, value) >= 0;
    case 'BETWEEN':
      return actual !== null && compare(actual, value) >= 0 && compare(actual, filter.highValue ?? '') <= 0;
    case 'IN':
      return actual !== null && (filter.values ?? []).some((v) => compare(actual, v) === 0);
    case 'NOT_IN':
      return actual === null || !(filter.values ?? []).some((v) => compare(actual, v) === 0);
    case 'HAS_PROPERTY':
      return actual !== null && actual !== '';
    case 'NOT_HAS_PROPERTY':
      return actual === null || actual === '';
    case 'CONTAINS_TOKEN':
      return actual !== null && actual.toLowerCase().includes(value.replace(/\*/g, '').toLowerCase());
    case 'NOT_CONTAINS_TOKEN':
      return actual === null || !actual.toLowerCase().includes(value.replace(/\*/g, '').toLowerCase());
    default:
      return false;
  }
}

export interface RunningFakeHubSpot extends FakeServer {
  hubspot: FakeHubSpot;
}

export async function startFakeHubSpot(options: FakeHubSpotOptions): Promise<RunningFakeHubSpot> {
  const hubspot = new FakeHubSpot(options);
  const server = await startFakeServer((req) => hubspot.handle(req));
  return Object.assign(server, { hubspot });
}
