import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.ts';
import type { App } from '../../src/http/types.ts';
import { createProcessors } from '../../src/processors/registry.ts';
import { type Sandbox, startSandbox } from '../../src/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../src/processors/sandbox/test-numbers.ts';
import { executePayment } from '../../src/services/payment-execution.ts';
import type { Processors } from '../../src/services/payment-methods.ts';
import { defaultRetryPlanFor } from '../../src/services/retry-plans.ts';
import { inTransaction } from '../../src/services/transaction.ts';
import { AmsDouble } from '../../src/sync/doubles/ams-double.ts';
import { amsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { databaseTargets, openTestDatabase } from '../support/db.ts';
import { createTestAgency, type TestAgency } from '../support/fixtures.ts';
import { type ApiClient, apiClient, type JsonResponse } from '../support/http.ts';
import { buildTestApp } from '../support/openapi.ts';
import { tokenizeCard, WEBHOOK_SECRET } from '../support/payments.ts';
import { portalSessionFor } from '../support/portal.ts';
import { TEST_CONNECTOR_TIMING } from '../support/sync.ts';

/**
 * Every POST route honours Idempotency-Key: the first call, its replay (same status and body,
 * `Idempotent-Replayed: true`, nothing written), the same key with another body (422), and 50
 * concurrent requests with one key (one effect: one fresh answer, the rest replays or 409, and
 * the rows written are those of one call). The routes come from the app's OpenAPI document, so
 * a new POST route fails this test until it has an entry below (or a reason to be excluded).
 */

type Client = Pick<ApiClient, 'post'>;
interface Prepared {
  client: Client;
  path: string;
  body?: unknown;
  /** A different, valid request for the same path: the same key with it is a 422. */
  other: unknown;
}
interface RouteCase {
  status: number;
  make(): Promise<Prepared>;
}

/** POSTs that must not replay, each with `config.idempotent: false` and its reason there. */
const EXCLUDED = new Set([
  '/api/v1/session', // signing in would hand out a stored session
  '/api/v1/portal/session',
  '/api/v1/portal/tokens/redeem',
  '/api/v1/portal/sign-in-link',
  '/api/v1/portal/password',
  '/api/v1/webhooks/{processor}', // processor events are deduplicated by their event id
  '/api/v1/sync/webhooks/{agency}/{system}', // likewise, by the external record's version
  // A re-fire needs a failed autopay firing (a pass with a failing plugin), which this table's world
  // does not run; its first call, replay and 409 are tested in test/http/autopay.test.ts.
  '/api/v1/invoices/{invoiceNumber}/autopay/refire',
]);

/**
 * Not counted: the keys themselves, and tables the background push to the AMS double (after a
 * sync route answers) and a sync run's cursor change on their own schedule.
 */
const ASYNC_TABLES = new Set(['idempotency_keys', 'sync_log', 'sync_links', 'sync_outbox', 'sync_cursors']);

for (const target of databaseTargets()) {
  describe(`Idempotency-Key on every POST route on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    let sandbox: Sandbox;
    let processors: Processors;
    let ams: AmsDouble;
    let app: App;
    let url: string;
    let api: ApiClient;
    let seq = 0;
    let tables: string[] = [];

    /** Rows per table: what a call wrote is the difference of two snapshots. */
    const snapshot = async (): Promise<Record<string, number>> => {
      const union = tables.map((t) => `SELECT '${t}' AS t, count(*) AS n FROM "${t}"`).join(' UNION ALL ');
      const result = await sql<{ t: string; n: bigint }>`${sql.raw(union)}`.execute(database.db);
      return Object.fromEntries(result.rows.map((r) => [r.t, Number(r.n)]));
    };
    const writtenSince = async (before: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(await snapshot())
          .filter(([t, n]) => n !== before[t])
          .map(([t, n]) => [t, n - (before[t] ?? 0)]),
      );
    const ok = <T>(res: JsonResponse<T>, status: number): T => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body;
    };

    /** A customer with a contact (e-mail), a $500 invoice and a saved card. */
    const customer = async () => {
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
    type Customer = Awaited<ReturnType<typeof customer>>;

    const portalFor = (c: { customerNumber: number; contactId: string }) => portalSessionFor(database, agency, url, c);
    const paymentRequest = async (c: Customer) =>
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
    const payment = async (c: Customer) =>
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
    const policy = async (c: Customer, extra: Record<string, unknown> = {}) => {
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
    const receipt = async (c: Customer, invoiceNumber?: number) =>
      ok(
        await api.post('/api/v1/receipt/customer', {
          customerNumber: c.customerNumber,
          invoiceInformations: [
            { paymentAmount: 50, ...(invoiceNumber ? { invoiceNumber: String(invoiceNumber) } : {}) },
          ],
          receiptAmount: 50,
          receiptDate: '2026-11-21',
          receiptDateTimeZone: 'America/Chicago',
          bankShortName: 'OPER',
          paymentCheckType: 'H',
        }),
        201,
      );
    const review = async () => {
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

    const cases: Record<string, RouteCase> = {
      '/api/v1/customers': {
        status: 201,
        make: async () => {
          const name = `New ${++seq}`;
          return {
            client: api,
            path: '/api/v1/customers',
            body: { type: 'individual', name },
            other: { type: 'group', name },
          };
        },
      },
      '/api/v1/customers/{customerNumber}/contacts': {
        status: 201,
        make: async () => {
          const c = await customer();
          return {
            client: api,
            path: `/api/v1/customers/${c.customerNumber}/contacts`,
            body: { name: 'Ann' },
            other: { name: 'Bob' },
          };
        },
      },
      '/api/v1/customers/{customerNumber}/payment-methods': {
        status: 201,
        make: async () => {
          const c = await customer();
          const token = await tokenizeCard(sandbox, CARD_SUCCEEDS);
          return {
            client: api,
            path: `/api/v1/customers/${c.customerNumber}/payment-methods`,
            body: { token },
            other: { token, isDefault: true },
          };
        },
      },
      '/api/v1/customers/{customerNumber}/autopay': {
        status: 200,
        make: async () => {
          const c = await customer();
          return {
            client: api,
            path: `/api/v1/customers/${c.customerNumber}/autopay`,
            body: { paymentMethodId: c.methodId },
            other: {},
          };
        },
      },
      '/api/v1/customers/{customerNumber}/on-account/apply': {
        status: 201,
        make: async () => {
          const c = await customer();
          await receipt(c); // $50 On Account
          return {
            client: api,
            path: `/api/v1/customers/${c.customerNumber}/on-account/apply`,
            body: { invoiceNumber: c.invoiceNumber, amount: 20 },
            other: { invoiceNumber: c.invoiceNumber, amount: 30 },
          };
        },
      },
      '/api/v1/customers/{customerNumber}/sync': {
        status: 202,
        make: async () => {
          const c = await customer();
          return {
            client: api,
            path: `/api/v1/customers/${c.customerNumber}/sync`,
            body: { systems: ['ams'] },
            other: {},
          };
        },
      },
      '/api/v1/installment-plans': {
        status: 201,
        make: async () => {
          const name = `Plan ${++seq}`;
          return {
            client: api,
            path: '/api/v1/installment-plans',
            body: { name, installments: 4, frequency: 'quarterly' },
            other: { name, installments: 2, frequency: 'quarterly' },
          };
        },
      },
      '/api/v1/banks': {
        status: 201,
        make: async () => {
          const shortName = `B${++seq}`;
          return {
            client: api,
            path: '/api/v1/banks',
            body: { shortName, name: 'Bank', division: 'Main' },
            other: { shortName, name: 'Other bank', division: 'Main' },
          };
        },
      },
      '/api/v1/api-keys': {
        status: 201,
        make: async () => {
          const name = `key ${++seq}`;
          return {
            client: api,
            path: '/api/v1/api-keys',
            body: { name, role: 'agent' },
            other: { name, role: 'staff' },
          };
        },
      },
      '/api/v1/invoices': {
        status: 201,
        make: async () => {
          const c = await customer();
          const body = { customerNumber: c.customerNumber, dueDate: '2026-12-01', amount: 100 };
          return { client: api, path: '/api/v1/invoices', body, other: { ...body, amount: 200 } };
        },
      },
      '/api/v1/payment-requests': {
        status: 201,
        make: async () => {
          const c = await customer();
          const body = { customerNumber: c.customerNumber, contactId: c.contactId, amount: 100, dueDate: '2099-12-01' };
          return { client: api, path: '/api/v1/payment-requests', body, other: { ...body, amount: 200 } };
        },
      },
      '/api/v1/payment-requests/{id}/cancel': {
        status: 200,
        make: async () => {
          const id = await paymentRequest(await customer());
          return { client: api, path: `/api/v1/payment-requests/${id}/cancel`, body: {}, other: { reason: 'changed' } };
        },
      },
      '/api/v1/payment-requests/{id}/finalize': {
        status: 200,
        make: async () => {
          const c = await customer();
          const id = await paymentRequest(c);
          const portal = await portalFor(c);
          ok(await portal.post(`/api/v1/portal/payment-requests/${id}/pay`, { paymentMethodId: c.methodId }), 201);
          return {
            client: api,
            path: `/api/v1/payment-requests/${id}/finalize`,
            body: { bankShortName: 'OPER' },
            other: { bankShortName: 'OPER', description: 'other' },
          };
        },
      },
      '/api/v1/payments': {
        status: 201,
        make: async () => {
          const c = await customer();
          const body = {
            customerNumber: c.customerNumber,
            type: 'card',
            amount: 100,
            paymentMethodId: c.methodId,
            targets: [{ invoiceNumber: c.invoiceNumber, amount: 100 }],
            channel: 'agent_sweep',
            bankShortName: 'OPER',
          };
          return { client: api, path: '/api/v1/payments', body, other: { ...body, amount: 200 } };
        },
      },
      '/api/v1/payments/{id}/cancel': {
        status: 200,
        make: async () => {
          const id = await payment(await customer());
          return { client: api, path: `/api/v1/payments/${id}/cancel`, other: {} };
        },
      },
      '/api/v1/payments/{id}/refunds': {
        status: 201,
        make: async () => {
          const id = await payment(await customer());
          const executed = await executePayment(database.db, processors, id);
          assert.equal(executed.status, 'succeeded', JSON.stringify(executed));
          return { client: api, path: `/api/v1/payments/${id}/refunds`, body: {}, other: { reason: 'other' } };
        },
      },
      '/api/v1/retry-plans': {
        status: 201,
        make: async () => {
          const name = `Retry ${++seq}`;
          return {
            client: api,
            path: '/api/v1/retry-plans',
            body: { name, delayDays: [1, 2] },
            other: { name, delayDays: [3] },
          };
        },
      },
      '/api/v1/policies': {
        status: 201,
        make: async () => {
          const c = await customer();
          const body = {
            customerNumber: c.customerNumber,
            policyNumber: `NEW-${c.n}`,
            lineOfBusiness: 'Auto',
            effectiveDate: '2026-01-01',
            expirationDate: '2027-01-01',
            premium: 1000,
          };
          return { client: api, path: '/api/v1/policies', body, other: { ...body, premium: 2000 } };
        },
      },
      '/api/v1/policies/{policyNumber}/transitions': {
        status: 200,
        make: async () => {
          const p = await policy(await customer());
          return {
            client: api,
            path: `/api/v1/policies/${p}/transitions`,
            body: { to: 'cancellation_pending', reason: 'non_pay' },
            other: { to: 'canceled', reason: 'non_pay' },
          };
        },
      },
      '/api/v1/policies/{policyNumber}/tags': {
        status: 200,
        make: async () => {
          const p = await policy(await customer());
          return { client: api, path: `/api/v1/policies/${p}/tags`, body: { tag: 'vip' }, other: { tag: 'gold' } };
        },
      },
      '/api/v1/policies/{policyNumber}/bill': {
        status: 201,
        make: async () => {
          const p = await policy(await customer(), { installmentPlan: 'Quarterly' });
          return { client: api, path: `/api/v1/policies/${p}/bill`, other: {} };
        },
      },
      '/api/v1/receipt/customer': {
        status: 201,
        make: async () => {
          const c = await customer();
          const body = {
            customerNumber: c.customerNumber,
            invoiceInformations: [{ invoiceNumber: String(c.invoiceNumber), paymentAmount: 10 }],
            receiptAmount: 10,
            receiptDate: '2026-11-21',
            receiptDateTimeZone: 'America/Chicago',
            bankShortName: 'OPER',
            paymentCheckType: 'H',
          };
          return { client: api, path: '/api/v1/receipt/customer', body, other: { ...body, receiptDescription: 'x' } };
        },
      },
      '/api/v1/receipts/{receiptNumber}/reversal': {
        status: 200,
        make: async () => {
          const c = await customer();
          const r = await receipt(c, c.invoiceNumber);
          return {
            client: api,
            path: `/api/v1/receipts/${r.receiptNumber}/reversal`,
            body: { reason: 'entered_in_error' },
            other: { reason: 'nsf' },
          };
        },
      },
      '/api/v1/sync/runs': {
        status: 200,
        make: async () => ({
          client: api,
          path: '/api/v1/sync/runs',
          body: { system: 'ams' },
          other: { system: 'crm' },
        }),
      },
      '/api/v1/sync/reviews/{reviewId}/accept': {
        status: 200,
        make: async () => ({ client: api, path: `/api/v1/sync/reviews/${await review()}/accept`, other: {} }),
      },
      '/api/v1/sync/reviews/{reviewId}/reject': {
        status: 200,
        make: async () => ({ client: api, path: `/api/v1/sync/reviews/${await review()}/reject`, other: {} }),
      },
      '/api/v1/sync/reviews/{reviewId}/merge': {
        status: 200,
        make: async () => {
          const [a, b] = [await customer(), await customer()];
          return {
            client: api,
            path: `/api/v1/sync/reviews/${await review()}/merge`,
            body: { customerNumber: a.customerNumber },
            other: { customerNumber: b.customerNumber },
          };
        },
      },
      '/api/v1/connectors/ams360-receipts/exports/{exportId}/retry': {
        status: 200,
        make: async () => {
          const c = await customer();
          const r = await receipt(c);
          const receiptId = (
            await database.db
              .selectFrom('receipts')
              .select('id')
              .where('agency_id', '=', agency.id)
              .where('receipt_number', '=', r.receiptNumber)
              .executeTakeFirstOrThrow()
          ).id;
          const row = await database.db
            .insertInto('ams_receipt_exports')
            .values({
              agency_id: agency.id,
              receipt_id: receiptId,
              reference: `R-${r.receiptNumber}`,
              idempotency_key: `policypay-receipt-${receiptId}`,
              body: JSON.stringify({}),
              status: 'failed',
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          return { client: api, path: `/api/v1/connectors/ams360-receipts/exports/${row.id}/retry`, other: {} };
        },
      },
      '/api/v1/portal/payment-requests/{id}/pay': {
        status: 201,
        make: async () => {
          const c = await customer();
          const id = await paymentRequest(c);
          return {
            client: await portalFor(c),
            path: `/api/v1/portal/payment-requests/${id}/pay`,
            body: { paymentMethodId: c.methodId },
            other: { paymentMethodId: randomUUID() },
          };
        },
      },
      '/api/v1/portal/payments': {
        status: 201,
        make: async () => {
          const c = await customer();
          return {
            client: await portalFor(c),
            path: '/api/v1/portal/payments',
            body: { amount: 100, paymentMethodId: c.methodId },
            other: { amount: 200, paymentMethodId: c.methodId },
          };
        },
      },
      '/api/v1/portal/payment-methods': {
        status: 201,
        make: async () => {
          const c = await customer();
          const token = await tokenizeCard(sandbox, CARD_SUCCEEDS);
          return {
            client: await portalFor(c),
            path: '/api/v1/portal/payment-methods',
            body: { token },
            other: { token, isDefault: true },
          };
        },
      },
      '/api/v1/portal/payment-methods/{id}/default': {
        status: 200,
        make: async () => {
          const c = await customer();
          const second = ok(
            await api.post(`/api/v1/customers/${c.customerNumber}/payment-methods`, {
              token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
            }),
            201,
          );
          return { client: await portalFor(c), path: `/api/v1/portal/payment-methods/${second.id}/default`, other: {} };
        },
      },
      '/api/v1/portal/session/account': {
        status: 200,
        make: async () => {
          const c = await customer();
          // The same person is a contact of a second customer: their portal may switch to it.
          const email = (
            await database.db
              .selectFrom('contacts')
              .select('email')
              .where('id', '=', c.contactId)
              .executeTakeFirstOrThrow()
          ).email;
          const second = ok(await api.post('/api/v1/customers', { type: 'group', name: `Idem ${c.n} LLC` }), 201);
          ok(
            await api.post(`/api/v1/customers/${second.customerNumber}/contacts`, { name: `Idem ${c.n}`, email }),
            201,
          );
          return {
            client: await portalFor(c),
            path: '/api/v1/portal/session/account',
            body: { customerNumber: second.customerNumber },
            other: { customerNumber: c.customerNumber },
          };
        },
      },
      '/api/v1/portal/autopay': {
        status: 200,
        make: async () => {
          const c = await customer();
          return {
            client: await portalFor(c),
            path: '/api/v1/portal/autopay',
            body: { paymentMethodId: c.methodId },
            other: { paymentMethodId: randomUUID() },
          };
        },
      },
    };

    before(async () => {
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
      });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      api = apiClient(url, agency.apiKey);
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
      ok(
        await api.post('/api/v1/installment-plans', { name: 'Quarterly', installments: 4, frequency: 'quarterly' }),
        201,
      );
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
    });
    after(async () => {
      await app?.close();
      await ams?.stop();
      await sandbox?.close();
      await database?.close();
    });

    it('has an entry for every POST route (or a reason to exclude it)', async () => {
      const paths = (app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
      const posts = Object.entries(paths)
        .filter(([, operations]) => 'post' in operations)
        .map(([path]) => path)
        .sort();
      assert.deepEqual(posts, [...new Set([...Object.keys(cases), ...EXCLUDED])].sort());
    });

    for (const [route, routeCase] of Object.entries(cases)) {
      it(`POST ${route}: first call, replay, other body, 50 concurrent`, async () => {
        const first = await routeCase.make();
        const key = { 'idempotency-key': `k-${randomUUID()}` };
        const rowsBefore = await snapshot();
        const original = await first.client.post(first.path, first.body, key);
        assert.equal(original.status, routeCase.status, JSON.stringify(original.body));
        assert.notEqual(original.headers.get('idempotent-replayed'), 'true');
        const written = await writtenSince(rowsBefore);

        const replay = await first.client.post(first.path, first.body, key);
        assert.equal(replay.status, original.status, JSON.stringify(replay.body));
        assert.equal(replay.headers.get('idempotent-replayed'), 'true');
        assert.deepEqual(replay.body, original.body);
        assert.deepEqual(await writtenSince(rowsBefore), written, 'a replay writes nothing');

        const reused = await first.client.post(first.path, first.other, key);
        assert.equal(reused.status, 422, JSON.stringify(reused.body));
        assert.equal(reused.body.type, 'https://policypay.dev/problems/idempotency-key-reused');
        assert.deepEqual(await writtenSince(rowsBefore), written, 'a reused key writes nothing');

        const second = await routeCase.make();
        const key2 = { 'idempotency-key': `k-${randomUUID()}` };
        const rowsBefore2 = await snapshot();

        const responses = await Promise.all(
          Array.from({ length: 50 }, () => second.client.post(second.path, second.body, key2)),
        );
        for (const res of responses) {
          if (res.status === 409) {
            assert.equal(
              res.body.type,
              'https://policypay.dev/problems/idempotency-key-in-use',
              JSON.stringify(res.body),
            );
          } else assert.equal(res.status, routeCase.status, JSON.stringify(res.body));
        }
        const answers = responses.filter((r) => r.status === routeCase.status);
        const fresh = answers.filter((r) => r.headers.get('idempotent-replayed') !== 'true');
        assert.equal(fresh.length, 1, `one request ran: ${responses.map((r) => r.status).join(',')}`);
        for (const res of answers) assert.deepEqual(res.body, fresh[0]!.body);
        assert.deepEqual(await writtenSince(rowsBefore2), written, 'the rows of one call');
      });
    }
  });
}
