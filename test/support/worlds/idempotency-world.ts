// The world of the Idempotency-Key route test (test/platform/http/idempotency-routes.test.ts): one agency on a
// test database, the sandbox, the AMS double and the app, with the helpers its route cases call.
// Module state, not a closure: the case tables are split over two files and read these bindings
// live (an imported `let` sees every assignment start makes).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import type { Processors } from '../../../src/payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { defaultRetryPlanFor } from '../../../src/payments/retry-plans.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { inTransaction } from '../../../src/platform/db/transaction.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { AmsDouble } from '../../../src/sync/doubles/ams-double.ts';
import { amsDoubleMapping } from '../../../src/sync/doubles/mappings.ts';
import { openTestDatabase, type Target } from '../db.ts';
import { createTestAgency, type TestAgency } from '../fixtures.ts';
import { type ApiClient, apiClient, type JsonResponse } from '../http.ts';
import { buildTestApp } from '../openapi.ts';
import { tokenizeCard, WEBHOOK_SECRET } from '../payments.ts';
import { portalSessionFor } from '../portal.ts';
import { TEST_CONNECTOR_TIMING } from '../sync.ts';

type Client = Pick<ApiClient, 'post'>;
interface Prepared {
  client: Client;
  path: string;
  body?: unknown;
  /** A different, valid request for the same path: the same key with it is a 422. */
  other: unknown;
}
export interface RouteCase {
  status: number;
  make(): Promise<Prepared>;
}

/**
 * Not counted: the keys themselves, and tables the background push to the AMS double (after a
 * sync route answers) and a sync run's cursor change on their own schedule.
 */
const ASYNC_TABLES = new Set(['idempotency_keys', 'sync_log', 'sync_links', 'sync_outbox', 'sync_cursors']);

export let database: DatabaseHandle;
export let agency: TestAgency;
export let sandbox: Sandbox;
export let processors: Processors;
let ams: AmsDouble;
export let app: App;
let url: string;
export let api: ApiClient;
/** The operator's client (POLICYPAY_OPERATOR_TOKEN), for the operator's routes. */
export let operator: ApiClient;
const OPERATOR_TOKEN = 'op_idempotency_world_token_0123456789';
let seq = 0;
let tables: string[] = [];

/** Rows per table: what a call wrote is the difference of two snapshots. */
export const snapshot = async (): Promise<Record<string, number>> => {
  const union = tables.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM "${t}"`).join(' UNION ALL ');
  const result = await sql<{ t: string; n: bigint }>`${sql.raw(union)}`.execute(database.db);
  return Object.fromEntries(result.rows.map((r) => [r.t, Number(r.n)]));
};
export const writtenSince = async (before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(await snapshot())
      .filter(([t, n]) => n !== before[t])
      .map(([t, n]) => [t, n - (before[t] ?? 0)]),
  );
export const ok = <T>(res: JsonResponse<T>, status: number): T => {
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res.body;
};

/** A customer with a contact (e-mail), a $500 invoice and a saved card. */
export const customer = async () => {
  const n = ++seq;
  const c = ok(await api.post('/api/v1/customers', { type: 'individual', name: `Idem ${n}` }), 201);
  const contact = ok(
    await api.post(`/api/v1/customers/${c.customerNumber}/contacts`, {
      name: `Idem ${n}`,
      email: `idem${n}.${randomUUID().slice(0, 6)}@example.com`,
    }),
    201,
  );
  const invoice = ok(
    await api.post('/api/v1/invoices', { customerNumber: c.customerNumber, dueDate: '2099-12-01', amount: 500 }),
    201,
  );
  const method = ok(
    await api.post(`/api/v1/customers/${c.customerNumber}/payment-methods`, {
      token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
    }),
    201,
  );
  return {
    n,
    customerNumber: c.customerNumber as number,
    contactId: contact.id as string,
    invoiceNumber: invoice.invoiceNumber as number,
    methodId: method.id as string,
  };
};
export type Customer = Awaited<ReturnType<typeof customer>>;

export const portalFor = (c: { customerNumber: number; contactId: string }) =>
  portalSessionFor(database, agency, url, c);
export const paymentRequest = async (c: Customer) =>
  ok(
    await api.post('/api/v1/payment-requests', {
      customerNumber: c.customerNumber,
      contactId: c.contactId,
      amount: 100,
      dueDate: '2099-12-01',
      invoices: [{ invoiceNumber: c.invoiceNumber, amount: 100 }],
    }),
    201,
  ).id as string;
export const payment = async (c: Customer) =>
  ok(
    await api.post('/api/v1/payments', {
      customerNumber: c.customerNumber,
      type: 'card',
      amount: 100,
      paymentMethodId: c.methodId,
      targets: [{ invoiceNumber: c.invoiceNumber, amount: 100 }],
      channel: 'agent_sweep',
      bankShortName: 'OPER',
    }),
    201,
  ).id as string;
export const policy = async (c: Customer, extra: Record<string, unknown> = {}) => {
  const policyNumber = `IDEM-${c.n}`;
  ok(
    await api.post('/api/v1/policies', {
      customerNumber: c.customerNumber,
      policyNumber,
      lineOfBusiness: 'Auto',
      effectiveDate: '2026-01-01',
      expirationDate: '2027-01-01',
      premium: 1000,
      status: 'active',
      ...extra,
    }),
    201,
  );
  return policyNumber;
};
export const receipt = async (c: Customer, invoiceNumber?: number) =>
  ok(
    await api.post('/api/v1/receipt/customer', {
      customerNumber: c.customerNumber,
      invoiceInformations: [{ paymentAmount: 50, ...(invoiceNumber ? { invoiceNumber: String(invoiceNumber) } : {}) }],
      receiptAmount: 50,
      receiptDate: '2026-11-21',
      receiptDateTimeZone: 'America/Chicago',
      bankShortName: 'OPER',
      paymentCheckType: 'H',
    }),
    201,
  );
export const review = async () => {
  const row = await database.db
    .insertInto('sync_reviews')
    .values({
      agency_id: agency.id,
      system: 'ams',
      entity: 'customer',
      external_id: `ext-${++seq}`,
      record: JSON.stringify({ version: null, fields: { name: `Reviewed ${seq}` } }),
      candidate_ids: [],
      reason: 'two customers match',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
};

export async function startIdempotencyWorld(target: Target): Promise<void> {
  database = await openTestDatabase(target);
  agency = await createTestAgency(database.db, 'Idempotent Agency');
  sandbox = await startSandbox({ webhookSecret: WEBHOOK_SECRET });
  processors = createProcessors({
    sandboxUrl: sandbox.url,
    sandboxWebhookSecret: WEBHOOK_SECRET,
    sandboxTimeoutMs: 5_000,
  });
  ams = new AmsDouble();
  await ams.start();
  // No webhook URL for the sandbox: its events would write rows while the rows are counted.
  const many = { max: 10_000, windowMs: 3_600_000 };
  app = await buildTestApp({
    database,
    processors,
    signInLimits: { staffSignIn: many, portalSignIn: many, portalRedeem: many, portalLink: many },
    operatorToken: OPERATOR_TOKEN,
  });
  url = await app.listen({ port: 0, host: '127.0.0.1' });
  api = apiClient(url, agency.apiKey);
  operator = apiClient(url, OPERATOR_TOKEN);
  ok(await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' }), 201);
  // The agency has several banks: portal and finalized money go to the channels' defaults.
  ok(
    await api.patch('/api/v1/settings/payments', {
      defaultDepositBanks: { secure_checkout: 'OPER', autopay: 'OPER', agent_sweep: 'OPER' },
    }),
    200,
  );
  // The default retry plan is written by the agency's first payment, not by every one.
  await inTransaction(database.db, (tx) => defaultRetryPlanFor(tx, agency.id));
  ok(await api.post('/api/v1/installment-plans', { name: 'Quarterly', installments: 4, frequency: 'quarterly' }), 201);
  ok(
    await api.put('/api/v1/sync/connectors/ams', {
      kind: 'rest',
      mapping: amsDoubleMapping(ams.server.url, TEST_CONNECTOR_TIMING),
    }),
    200,
  );
  // The table's customers stay local (pushOnCreate, issue 16, would link them to the AMS and
  // make them no merge target); the push route is in the table.
  const rules = ok(await api.get('/api/v1/sync/rules'), 200) as Record<string, unknown>;
  ok(await api.put('/api/v1/sync/rules', { ...rules, pushOnCreate: [] }), 200);
  // First uses write rows of their own (the agency's customer counter, its sync settings).
  const warm = await customer();
  ok(await api.post(`/api/v1/customers/${warm.customerNumber}/sync`, {}), 202);
  tables = (
    await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(database.db)
  ).rows
    .map((r) => r.table_name)
    .filter((t) => !ASYNC_TABLES.has(t) && !t.startsWith('kysely_'));
}

export async function closeIdempotencyWorld(): Promise<void> {
  await app?.close();
  await ams?.stop();
  await sandbox?.close();
  await database?.close();
}
