import fc from 'fast-check';
import { sql } from 'kysely';
import type { Db } from '../../../src/platform/db/transaction.ts';

/**
 * Request generators for the OpenAPI fuzzer (test/platform/http/fuzz.test.ts): fast-check arbitraries
 * built from the document's JSON Schemas, mixing values the schema allows with values it should
 * refuse, and a cheap fingerprint of the database to tell whether a request wrote anything.
 */

export type JsonSchema = Record<string, any>;
export interface OpenApiDocument {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Follows `$ref`s into `components.schemas`; a reference to nothing is any value. */
export function resolveSchema(doc: OpenApiDocument, schema: JsonSchema | undefined, seen = 0): JsonSchema {
  if (!schema) return {};
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
  const target = name ? doc.components?.schemas?.[decodeURIComponent(name)] : undefined;
  return target && seen < 20 ? resolveSchema(doc, target, seen + 1) : {};
}

/** Strings a careless server mishandles: NUL, lone surrogates, huge, numeric-looking, markup. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    'x\udfffy',
    '😀',
    'Zoë Ærø',
    'x'.repeat(5_000),
    '9'.repeat(40),
    '-1',
    '0',
    '2147483648',
    '1e309',
    'NaN',
    'null',
    'true',
    '<script>alert(1)</script>',
    "'; DROP TABLE customers; --",
    '%00',
    '../../etc/passwd',
    '2026-02-30',
    '0000-00-00',
    '00000000-0000-0000-0000-000000000000',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([a, b]) => `${a}\u0000${b}`),
);

/** Numbers at and past the edges of int4, int8 and the doubles JSON can carry. */
const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    0.5,
    1.005,
    0.001,
    2_147_483_647,
    2_147_483_648,
    -2_147_483_649,
    4_294_967_296,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    2 ** 63,
    1e21,
    1e308,
    -1e308,
    5e-324,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

const leaf = fc.oneof(nastyString, nastyNumber, fc.boolean(), fc.constant(null));
/** Any JSON value, with nasty leaves. */
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 3 }) },
);

export interface Pools {
  /** Known values by parameter or property name (existing ids and numbers), to reach past lookups. */
  byName: Record<string, readonly unknown[]>;
}

const DATE_SAMPLES = ['2026-12-01', '2026-01-01', '2027-01-01', '2024-02-29', '2026-11-21', '2099-12-31'];

/** Values the schema allows (roughly: patterns are honoured when fast-check can, lengths kept short). */
export function validArbitrary(
  doc: OpenApiDocument,
  raw: JsonSchema,
  pools: Pools,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolveSchema(doc, raw);
  const known = name ? pools.byName[name] : undefined;
  const own = shapeArbitrary(doc, schema, pools, depth);
  return known?.length
    ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: own })
    : own;
}

/** The fields the schema requires and nothing else, each valid: the likeliest body to succeed. */
export function minimalArbitrary(doc: OpenApiDocument, raw: JsonSchema, pools: Pools): fc.Arbitrary<unknown> {
  const schema = resolveSchema(doc, raw);
  if (!schema.properties) return validArbitrary(doc, schema, pools);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of schema.required ?? []) {
    if (schema.properties[key]) record[key] = validArbitrary(doc, schema.properties[key], pools, key, 1);
  }
  return fc.record(record);
}

function shapeArbitrary(doc: OpenApiDocument, schema: JsonSchema, pools: Pools, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum) && schema.enum.length) return fc.constantFrom(...schema.enum);
  if ('const' in schema) return fc.constant(schema.const);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length) {
    return fc.oneof(...alternatives.map((s: JsonSchema) => validArbitrary(doc, s, pools, '', depth)));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) return validArbitrary(doc, schema.allOf[0], pools, '', depth);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return stringArbitrary(schema);
    case 'integer': {
      const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
      const max = Math.min(schema.maximum ?? 10_000, min + 10_000);
      return fc.integer({ min: Math.max(min, -1e9), max: Math.max(Math.min(max, 2_147_483_647), min) });
    }
    case 'number':
      return fc.integer({ min: 1, max: 200_000 }).map((cents) => cents / 100);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const items = validArbitrary(doc, schema.items ?? {}, pools, '', depth + 1);
      const minLength = schema.minItems ?? 0;
      return fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'object':
      return objectArbitrary(doc, schema, pools, depth, () => validArbitrary);
    default:
      if (schema.properties) return objectArbitrary(doc, schema, pools, depth, () => validArbitrary);
      return nastyValue;
  }
}

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 30, 30));
  switch (schema.format) {
    case 'date':
      return fc.constantFrom(...DATE_SAMPLES);
    case 'date-time':
      return fc.constantFrom('2026-12-01T10:00:00Z', '2026-11-21T00:00:00.000Z');
    case 'uuid':
      return fc.uuid();
    case 'email':
      return fc.emailAddress().filter((e) => e.length <= (schema.maxLength ?? 320));
    case 'uri':
      return fc.constantFrom('https://ams.example/api', 'http://127.0.0.1:9/x');
  }
  if (typeof schema.pattern === 'string') {
    try {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? 200));
    } catch {
      // a pattern JavaScript cannot compile: fall through to plain strings
    }
  }
  return fc.string({ minLength, maxLength });
}

type Recurse = () => (
  doc: OpenApiDocument,
  s: JsonSchema,
  p: Pools,
  name: string,
  depth: number,
) => fc.Arbitrary<unknown>;

function objectArbitrary(
  doc: OpenApiDocument,
  schema: JsonSchema,
  pools: Pools,
  depth: number,
  recurse: Recurse,
): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 4) return fc.constant({});
  const properties: Record<string, JsonSchema> = schema.properties ?? {};
  const required = new Set<string>(schema.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, value] of Object.entries(properties)) record[key] = recurse()(doc, value, pools, key, depth + 1);
  const requiredKeys = Object.keys(properties).filter((k) => required.has(k));
  return fc.record(record, { requiredKeys }) as fc.Arbitrary<Record<string, unknown>>;
}

/**
 * Mostly what the schema allows, with nasty values at any node: wrong types, edge numbers, NUL,
 * long and odd Unicode strings, a required field dropped, an unknown field added.
 */
export function fuzzArbitrary(
  doc: OpenApiDocument,
  raw: JsonSchema,
  pools: Pools,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const schema = resolveSchema(doc, raw);
  const isObject = schema.type === 'object' || (schema.type === undefined && schema.properties);
  const shaped = isObject
    ? objectArbitrary(doc, schema, pools, depth, () => fuzzArbitrary).chain((value) =>
        fc.oneof(
          { weight: 6, arbitrary: fc.constant(value) },
          { weight: 1, arbitrary: withoutOneKey(value) },
          { weight: 1, arbitrary: nastyValue.map((extra) => ({ ...value, unexpectedField: extra })) },
        ),
      )
    : schema.type === 'array' && depth <= 4
      ? fc.array(fuzzArbitrary(doc, schema.items ?? {}, pools, '', depth + 1), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.max(schema.minItems ?? 0, 3),
        })
      : validArbitrary(doc, schema, pools, name, depth);
  const wrong =
    schema.type === 'string' || schema.format
      ? nastyString
      : schema.type === 'number' || schema.type === 'integer'
        ? nastyNumber
        : nastyValue;
  return fc.oneof(
    { weight: 5, arbitrary: shaped },
    { weight: 1, arbitrary: wrong },
    { weight: 1, arbitrary: nastyValue },
  );
}

function withoutOneKey(value: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(value);
  if (keys.length === 0) return fc.constant(value);
  return fc.constantFrom(...keys).map((key) => {
    const { [key]: _dropped, ...rest } = value;
    return rest;
  });
}

/**
 * Tables whose rows a rejected request may legitimately write: the stored answer of a request
 * that carried an Idempotency-Key (a keyed 4xx is replayed, as Stripe does) is the answer itself,
 * not an effect of the request.
 */
const FINGERPRINT_EXCLUDED = new Set(['idempotency_keys']);

/**
 * Columns whose update alone is not a write of the request: an API key's last use is noted for any
 * request the key authenticates, refused or not (as Stripe's dashboard shows it), at most once a
 * minute by the clock, so a fuzz run longer than a minute saw it as a rejected request's write.
 */
const UPDATES_IGNORED: Readonly<Record<string, readonly string[]>> = { api_keys: ['last_used_at'] };

/**
 * Counts every committed row write, per table, for `databaseFingerprint`: a row trigger on each
 * policypay table bumps its counter in the writing transaction, so a write that rolls back counts
 * nothing. (Reading every table's rows per request took ~100 ms on PGlite; this takes ~1 ms.)
 */
export async function installWriteCounter(db: Db): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    SELECT table_name AS name FROM information_schema.tables
    WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
      AND table_name NOT LIKE 'kysely_migration%' ORDER BY table_name`.execute(db);
  await sql`CREATE TABLE fuzz_writes (table_name text PRIMARY KEY, n int8 NOT NULL)`.execute(db);
  await sql`
    CREATE FUNCTION fuzz_count_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO fuzz_writes VALUES (TG_TABLE_NAME, 1)
      ON CONFLICT (table_name) DO UPDATE SET n = fuzz_writes.n + 1;
      RETURN NULL;
    END $$`.execute(db);
  for (const { name } of rows) {
    if (FINGERPRINT_EXCLUDED.has(name)) continue;
    const ignored = UPDATES_IGNORED[name];
    let update = 'UPDATE';
    if (ignored) {
      // UPDATE OF the other columns: an update that sets only the ignored ones fires nothing.
      const { rows: columns } = await sql<{ name: string }>`
        SELECT column_name AS name FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = ${name} ORDER BY ordinal_position`.execute(db);
      update = `UPDATE OF ${columns
        .map((c) => c.name)
        .filter((c) => !ignored.includes(c))
        .join(', ')}`;
    }
    await sql
      .raw(
        `CREATE TRIGGER fuzz_count_write AFTER INSERT OR ${update} OR DELETE ON ${name} FOR EACH ROW EXECUTE FUNCTION fuzz_count_write()`,
      )
      .execute(db);
  }
}

/** How many rows each table has had written, e.g. `customers=3 invoices=2`. */
export async function databaseFingerprint(db: Db): Promise<string> {
  const { rows } = await sql<{ t: string; n: string }>`
    SELECT table_name AS t, n::text AS n FROM fuzz_writes ORDER BY table_name`.execute(db);
  return rows.map((r) => `${r.t}=${r.n}`).join(' ');
}

/** The tables whose part of two fingerprints differs. */
export function fingerprintDiff(before: string, after: string): string[] {
  const parse = (f: string) => new Map(f ? f.split(' ').map((p) => p.split('=') as [string, string]) : []);
  const a = parse(before);
  const b = parse(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((t) => a.get(t) !== b.get(t));
}
