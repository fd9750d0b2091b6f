// What the OpenAPI fuzzer (test/platform/http/fuzz.test.ts) sends and how it judges an answer: the operations
// of the document, a request per operation and caller, and the checks of error answers and logs.
import fc from 'fast-check';
import {
  fuzzArbitrary,
  minimalArbitrary,
  nastyString,
  type OpenApiDocument,
  type Pools,
  resolveSchema,
  validArbitrary,
} from './fuzz.ts';

export type Credential = 'none' | 'staffKey' | 'agentKey' | 'staffSession' | 'portalSession' | 'badKey';
const CREDENTIALS: Credential[] = ['none', 'staffKey', 'agentKey', 'staffSession', 'portalSession', 'badKey'];

export interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string; required?: boolean; schema?: Record<string, any> }[];
  body?: Record<string, any> | undefined;
}

export interface FuzzRequest {
  credential: Credential;
  pathValues: Record<string, { value: unknown; raw: boolean }>;
  query: Record<string, unknown>;
  body: { kind: 'json'; value: unknown } | { kind: 'none' } | { kind: 'text'; text: string; type: string };
  idempotencyKey: string | undefined;
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])],
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

export function isRecordedDecline(status: number, text: string): boolean {
  try {
    const body = JSON.parse(text);
    return status === 422 && typeof body.paymentId === 'string' && typeof body.declineCode === 'string';
  } catch {
    return false;
  }
}

/** Percent-encodes any string, a lone surrogate included (as WTF-8 bytes, which no server can decode). */
function encodeSegment(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out +=
      code >= 0xd800 && code <= 0xdfff
        ? `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase()
        : encodeURIComponent(char);
  }
  return out;
}

export function errorLogs(lines: string[]): string[] {
  return lines
    .filter((line) => /"level":"(error|fatal)"/.test(line))
    .map((line) => {
      try {
        const entry = JSON.parse(line);
        return `${entry.msg}: ${entry.err?.stack ?? entry.err?.message ?? ''}`.slice(0, 1500);
      } catch {
        return line.slice(0, 1500);
      }
    });
}

/** What makes an error answer not a problem document naming its fields, if anything. */
export function problemViolation(response: Response, text: string): string | undefined {
  const type = response.headers.get('content-type') ?? '';
  if (!/^application\/problem\+json/.test(type)) return `not problem+json (${type})`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return 'an unparsable problem';
  }
  if (typeof body.type !== 'string' || typeof body.title !== 'string' || body.status !== response.status) {
    return 'not a problem document';
  }
  if (response.status === 400) {
    const errors = body.errors;
    if (!Array.isArray(errors) || errors.length === 0) return 'a 400 without errors';
    for (const error of errors) {
      if (typeof error.path !== 'string' || error.path.length === 0 || typeof error.message !== 'string') {
        return 'a 400 error that names no field';
      }
    }
  }
  return undefined;
}

export function requestArbitrary(doc: OpenApiDocument, operation: Operation, pools: Pools): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const queryParams = operation.parameters.filter((p) => p.in === 'query');
  const pathValues: Record<string, fc.Arbitrary<{ value: unknown; raw: boolean }>> = {};
  for (const p of pathParams) {
    const known = pools.byName[p.name];
    pathValues[p.name] = fc
      .oneof(
        {
          weight: 4,
          arbitrary: known?.length ? fc.constantFrom(...known) : validArbitrary(doc, p.schema ?? {}, pools),
        },
        { weight: 2, arbitrary: validArbitrary(doc, p.schema ?? {}, pools) },
        { weight: 2, arbitrary: nastyString },
        // Not percent-encoded: an undecodable escape, a huge segment.
        { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%80', 'a'.repeat(3_000)) },
      )
      .map((value) => ({ value, raw: typeof value === 'string' && /^%|^a{3000}$/.test(value) }));
  }
  const query: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of queryParams) query[p.name] = fuzzArbitrary(doc, p.schema ?? {}, pools, p.name);
  const requiredQuery = queryParams.filter((p) => p.required).map((p) => p.name);
  const bodySchema = operation.body ? resolveSchema(doc, operation.body) : undefined;
  const body: fc.Arbitrary<FuzzRequest['body']> = bodySchema
    ? fc.oneof(
        {
          weight: 4,
          arbitrary: minimalArbitrary(doc, bodySchema, pools).map((value) => ({ kind: 'json' as const, value })),
        },
        {
          weight: 3,
          arbitrary: validArbitrary(doc, bodySchema, pools).map((value) => ({ kind: 'json' as const, value })),
        },
        {
          weight: 7,
          arbitrary: fuzzArbitrary(doc, bodySchema, pools).map((value) => ({ kind: 'json' as const, value })),
        },
        { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            { kind: 'text' as const, text: '{"a":', type: 'application/json' },
            { kind: 'text' as const, text: '{"name":"a\\u0000"}', type: 'text/plain' },
            { kind: 'text' as const, text: '', type: 'application/json' },
          ),
        },
      )
    : fc.constant({ kind: 'none' as const });
  return fc.record({
    credential: fc.oneof(
      { weight: 6, arbitrary: fc.constant<Credential>('staffKey') },
      { weight: 1, arbitrary: fc.constantFrom<Credential>(...CREDENTIALS) },
      {
        weight: operation.path.startsWith('/api/v1/portal/') ? 6 : 0,
        arbitrary: fc.constant<Credential>('portalSession'),
      },
    ),
    pathValues: fc.record(pathValues),
    query: fc
      .tuple(
        fc.record(query, { requiredKeys: requiredQuery }),
        fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: nastyString }),
      )
      .map(([values, unexpected]) => (unexpected === null ? values : { ...values, unexpectedParam: unexpected })),
    body,
    idempotencyKey:
      operation.method === 'POST'
        ? fc
            .option(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }), { freq: 3 })
            .map((k) => k ?? undefined)
        : fc.constant(undefined),
  });
}

export function buildRequest(
  base: string,
  operation: Operation,
  spec: FuzzRequest,
  credentials: Record<Credential, Record<string, string>>,
): { url: string; init: RequestInit; described: string } {
  const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const entry = spec.pathValues[name];
    if (!entry) return 'x';
    const text = typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value);
    return entry.raw ? text : encodeSegment(text);
  });
  const search: string[] = [];
  for (const [name, value] of Object.entries(spec.query)) {
    if (value === undefined) continue;
    search.push(`${encodeSegment(name)}=${encodeSegment(typeof value === 'string' ? value : JSON.stringify(value))}`);
  }
  const headers: Record<string, string> = { ...credentials[spec.credential] };
  if (spec.idempotencyKey !== undefined) headers['idempotency-key'] = spec.idempotencyKey;
  let payload: string | undefined;
  if (spec.body.kind === 'json') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(spec.body.value) ?? 'null';
  } else if (spec.body.kind === 'text') {
    headers['content-type'] = spec.body.type;
    payload = spec.body.text;
  }
  const query = search.join('&');
  const url = `${base}${path}${query ? `?${query}` : ''}`;
  const described = `${operation.method} ${url.slice(base.length, base.length + 600)} as ${spec.credential}${
    spec.idempotencyKey !== undefined ? ` key=${JSON.stringify(spec.idempotencyKey)}` : ''
  } body=${(payload ?? '').slice(0, 600)}`;
  return { url, init: { method: operation.method, headers, body: payload }, described };
}
