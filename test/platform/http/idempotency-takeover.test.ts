import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createProcessors } from '../../../src/payments/processor-registry.ts';
import { type Sandbox, startSandbox } from '../../../src/payments/processors/sandbox/server.ts';
import { CARD_SUCCEEDS } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import type { DatabaseHandle } from '../../../src/platform/db/database.ts';
import { requestFingerprint } from '../../../src/platform/http/idempotency-keys.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { databaseTargets, openTestDatabase } from '../../support/db.ts';
import { createTestAgency, type TestAgency } from '../../support/fixtures.ts';
import { type ApiClient, apiClient, type JsonResponse } from '../../support/http.ts';
import { buildTestApp } from '../../support/openapi.ts';
import { tokenizeCard, WEBHOOK_SECRET } from '../../support/payments.ts';
import { portalSessionFor } from '../../support/portal.ts';

/**
 * No timer decides an Idempotency-Key takeover: a request that has been running for longer than
 * the old 60 s window (the server's clock is moved, nothing waits) still owns its key, a retry
 * gets 409 and never a second effect, and replays once the first request is done. A key is taken
 * over only when its owner is gone and committed nothing.
 */

/**
 * A real HTTP hop between policypay and the sandbox processor that holds the requests matching
 * `hold` until released, so a request can be caught in the middle of its processor call.
 */
class HoldingProxy {
  server: Server;
  url = '';
  held = 0;
  #release: (() => void) | undefined;
  #gate: Promise<void> | undefined;
  hold: (method: string, path: string) => boolean = () => false;

  constructor(target: string) {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (this.#gate && this.hold(req.method ?? 'GET', req.url ?? '/')) {
        this.held++;
        await this.#gate;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && k !== 'host' && k !== 'content-length'),
      ) as Record<string, string>;
      const answer = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }
  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
  /** From now on, matching requests wait until `release`. */
  close_gate(): void {
    this.held = 0;
    this.#gate = new Promise((resolve) => {
      this.#release = resolve;
    });
  }
  release(): void {
    this.#gate = undefined;
    this.#release?.();
  }
}

/** Waits for a condition the test cannot be told about (a request reaching a lock or the processor). */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * The retry's answer, or undefined once `stuck` says it is blocked behind the first (as it was
 * before the fix, when it took the key over and ran): the test must release the first then.
 */
async function answerOrStuck<T>(request: Promise<T>, stuck: () => Promise<boolean> | boolean): Promise<T | undefined> {
  let answer: T | undefined;
  let settled = false;
  void request.then(
    (value) => {
      answer = value;
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await until(async () => settled || (await stuck()), 'the retry answers or waits behind the first');
  return answer;
}

const KEY_IN_USE = 'https://policypay.dev/problems/idempotency-key-in-use';

for (const target of databaseTargets()) {
  describe(`Idempotency-Key takeover on ${target}`, () => {
    let database: DatabaseHandle;
    let agency: TestAgency;
    let sandbox: Sandbox;
    let proxy: HoldingProxy;
    let app: App;
    let url: string;
    let api: ApiClient;
    // The server's "now" for claims: moved past the old 60 s window instead of waiting for it.
    let offsetMs = 0;
    let seq = 0;

    const ok = <T>(res: JsonResponse<T>, status: number): T => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      return res.body;
    };
    const customer = async () => {
      const n = ++seq;
      const c = ok(await api.post('/api/v1/customers', { type: 'individual', name: `Takeover ${n}` }), 201);
      const contact = ok(
        await api.post(`/api/v1/customers/${c.customerNumber}/contacts`, {
          name: `Takeover ${n}`,
          email: `takeover${n}.${randomUUID().slice(0, 6)}@example.com`,
        }),
        201,
      );
      const invoice = ok(
        await api.post('/api/v1/invoices', { customerNumber: c.customerNumber, dueDate: '2099-12-01', amount: 500 }),
        201,
      );
      return {
        customerNumber: c.customerNumber as number,
        contactId: contact.id as string,
        invoiceNumber: invoice.invoiceNumber as number,
      };
    };
    const saveCard = async (customerNumber: number) =>
      ok(
        await api.post(`/api/v1/customers/${customerNumber}/payment-methods`, {
          token: await tokenizeCard(sandbox, CARD_SUCCEEDS),
        }),
        201,
      ).id as string;
    const portalFor = (c: { customerNumber: number; contactId: string }) => portalSessionFor(database, agency, url, c);
    /**
     * Moves time 75 s on: the server's clock, and the claim's own timestamp (what the old 60 s
     * timer read) unless a running transaction holds the key row.
     */
    const age = async (key: string) => {
      offsetMs = 75_000;
      await sql`UPDATE idempotency_keys SET locked_at = locked_at - interval '75 seconds'
        WHERE (agency_id, key) IN (SELECT agency_id, key FROM idempotency_keys
          WHERE agency_id = ${agency.id} AND (key = ${key} OR key LIKE ${`%:${key}`}) FOR UPDATE SKIP LOCKED)`.execute(
        database.db,
      );
    };
    const paymentsOf = async (customerNumber: number) =>
      Number(
        (
          await sql<{ n: bigint }>`SELECT count(*) AS n FROM payments p JOIN customers c ON c.id = p.customer_id
            WHERE c.agency_id = ${agency.id} AND c.customer_number = ${customerNumber}`.execute(database.db)
        ).rows[0]!.n,
      );

    before(async () => {
      database = await openTestDatabase(target);
      agency = await createTestAgency(database.db, 'Takeover Agency');
      sandbox = await startSandbox({ webhookSecret: WEBHOOK_SECRET });
      proxy = new HoldingProxy(sandbox.url);
      await proxy.start();
      const processors = createProcessors({
        sandboxUrl: proxy.url,
        sandboxWebhookSecret: WEBHOOK_SECRET,
        // Longer than any hold: the held call must come back as an answer, not a timeout.
        sandboxTimeoutMs: 120_000,
      });
      app = await buildTestApp({ database, processors, clock: () => new Date(Date.now() + offsetMs) });
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      api = apiClient(url, agency.apiKey);
      ok(await api.post('/api/v1/banks', { shortName: 'OPER', name: 'Operating', division: 'Main' }), 201);
    });
    after(async () => {
      proxy?.release();
      await app?.close();
      proxy?.close();
      await sandbox?.close();
      await database?.close();
    });

    it('a checkout waiting on the processor past 75 s keeps its key: the retry gets 409, then the replay; one charge', async () => {
      const c = await customer();
      const methodId = await saveCard(c.customerNumber);
      const portal = await portalFor(c);
      const charges = sandbox.chargeCount();
      const keyName = `checkout-${randomUUID()}`;
      const key = { 'idempotency-key': keyName };
      const body = { amount: 100, paymentMethodId: methodId };

      proxy.hold = (method, path) => method === 'POST' && path.startsWith('/v1/charges');
      proxy.close_gate();
      const first = portal.post('/api/v1/portal/payments', body, key);
      await until(() => proxy.held > 0, 'the first checkout reaches the processor');
      await age(keyName);
      const retry = portal.post('/api/v1/portal/payments', body, key);
      try {
        const answer = await answerOrStuck(retry, () => proxy.held > 1);
        assert.equal(answer?.status, 409, JSON.stringify(answer?.body ?? 'the retry charged too'));
        assert.equal(answer.body.type, KEY_IN_USE);
      } finally {
        offsetMs = 0;
        proxy.release();
        await retry;
      }
      const original = ok(await first, 201);
      assert.equal(original.state, 'posted');
      const replay = await portal.post('/api/v1/portal/payments', body, key);
      assert.equal(replay.status, 201);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, original);
      assert.equal(await paymentsOf(c.customerNumber), 1);
      assert.equal(sandbox.chargeCount() - charges, 1);
    });

    it('a request waiting on the processor before its transaction keeps its key past 75 s', async () => {
      const c = await customer();
      const token = await tokenizeCard(sandbox, CARD_SUCCEEDS);
      const keyName = `method-${randomUUID()}`;
      const key = { 'idempotency-key': keyName };
      const path = `/api/v1/customers/${c.customerNumber}/payment-methods`;

      proxy.hold = (method, p) => method === 'GET' && p.startsWith('/v1/tokens/');
      proxy.close_gate();
      const first = api.post(path, { token }, key);
      await until(() => proxy.held > 0, 'the first request asks the processor about the token');
      await age(keyName);
      const retry = api.post(path, { token }, key);
      try {
        const answer = await answerOrStuck(retry, () => proxy.held > 1);
        assert.equal(answer?.status, 409, JSON.stringify(answer?.body ?? 'the retry ran too'));
        assert.equal(answer.body.type, KEY_IN_USE);
      } finally {
        offsetMs = 0;
        proxy.release();
        await retry;
      }
      const original = ok(await first, 201);
      const replay = await api.post(path, { token }, key);
      assert.equal(replay.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(replay.body, original);
    });

    it('a checkout whose request died after its payment committed answers from that payment, never pays again', async () => {
      const c = await customer();
      const methodId = await saveCard(c.customerNumber);
      const portal = await portalFor(c);
      const key = `died-${randomUUID()}`;
      const body = { amount: 100, paymentMethodId: methodId };
      const original = ok(await portal.post('/api/v1/portal/payments', body, { 'idempotency-key': key }), 201);
      // As the process would have left it had it died after the payment's transaction: the key
      // marked with the payment, no answer stored, no owner running.
      await sql`UPDATE idempotency_keys SET state = 'committed', response_body = NULL, owner = ${randomUUID()}
        WHERE agency_id = ${agency.id} AND key LIKE ${`%:${key}`}`.execute(database.db);
      const charges = sandbox.chargeCount();
      const retry = await portal.post('/api/v1/portal/payments', body, { 'idempotency-key': key });
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
      assert.equal(retry.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(retry.body, original);
      assert.equal(await paymentsOf(c.customerNumber), 1);
      assert.equal(sandbox.chargeCount(), charges);
    });

    it('a key whose owner died before committing anything is taken over at once, and runs once', async () => {
      const key = `orphan-${randomUUID()}`;
      const body = { type: 'individual', name: `Orphan ${key}` };
      // The claim a dead process left (its change rolled back with it): in progress, owner gone.
      await database.db
        .insertInto('idempotency_keys')
        .values({
          agency_id: agency.id,
          key,
          request_hash: requestFingerprint('POST', '/api/v1/customers', body),
          method: 'POST',
          path: '/api/v1/customers',
          state: 'in_progress',
          locked_at: new Date(),
          owner: randomUUID(),
        })
        .execute();
      const retry = await api.post('/api/v1/customers', body, { 'idempotency-key': key });
      assert.equal(retry.status, 201, JSON.stringify(retry.body));
      assert.notEqual(retry.headers.get('idempotent-replayed'), 'true');
      const again = await api.post('/api/v1/customers', body, { 'idempotency-key': key });
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.deepEqual(again.body, retry.body);
      const named = await sql<{ n: bigint }>`SELECT count(*) AS n FROM customers
        WHERE agency_id = ${agency.id} AND name = ${body.name}`.execute(database.db);
      assert.equal(named.rows[0]!.n, 1n);
    });

    if (target === 'postgres') {
      it('a receipt blocked 75 s on a customer lock keeps its key in another process too: one receipt', async () => {
        // A second server on the same database stands for another API process: it knows nothing
        // of the first's running requests, only the key row's lock tells it.
        const other = await buildTestApp({ database, clock: () => new Date(Date.now() + 75_000) });
        const otherUrl = await other.listen({ port: 0, host: '127.0.0.1' });
        const otherApi = apiClient(otherUrl, agency.apiKey);
        const lockWaiters = async () =>
          Number(
            (
              await sql<{ n: bigint }>`SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(database.db)
            ).rows[0]!.n,
          );
        try {
          const c = await customer();
          const keyName = `receipt-${randomUUID()}`;
          const key = { 'idempotency-key': keyName };
          const body = {
            customerNumber: c.customerNumber,
            invoiceInformations: [{ invoiceNumber: String(c.invoiceNumber), paymentAmount: 10 }],
            receiptAmount: 10,
            receiptDate: '2026-11-21',
            receiptDateTimeZone: 'America/Chicago',
            bankShortName: 'OPER',
            paymentCheckType: 'H',
          };
          let release!: () => void;
          const released = new Promise<void>((resolve) => {
            release = resolve;
          });
          let locked!: () => void;
          const isLocked = new Promise<void>((resolve) => {
            locked = resolve;
          });
          const holder = database.db.transaction().execute(async (tx) => {
            await sql`SELECT id FROM customers WHERE agency_id = ${agency.id} AND customer_number = ${c.customerNumber}
              FOR UPDATE`.execute(tx);
            locked();
            await released;
          });
          await isLocked;
          let first: Promise<JsonResponse> | undefined;
          let retry: Promise<JsonResponse> | undefined;
          try {
            first = api.post('/api/v1/receipt/customer', body, key);
            await until(async () => (await lockWaiters()) > 0, 'the first receipt waits on the customer lock');
            await age(keyName);
            offsetMs = 0; // the other server's clock is already 75 s ahead
            retry = otherApi.post('/api/v1/receipt/customer', body, key);
            // Before the fix the retry took the key over and waited on the same lock.
            const answer = await answerOrStuck(retry, async () => (await lockWaiters()) > 1);
            assert.equal(answer?.status, 409, JSON.stringify(answer?.body ?? 'the retry took the key over'));
            assert.equal(answer.body.type, KEY_IN_USE);
          } finally {
            release();
            await holder;
          }
          const original = ok(await first, 201);
          await retry;
          const replay = await otherApi.post('/api/v1/receipt/customer', body, key);
          assert.equal(replay.headers.get('idempotent-replayed'), 'true');
          assert.deepEqual(replay.body, original);
          const receipts = await sql<{ n: bigint }>`SELECT count(*) AS n FROM receipts r JOIN customers c
            ON c.id = r.customer_id WHERE c.agency_id = ${agency.id} AND c.customer_number = ${c.customerNumber}`.execute(
            database.db,
          );
          assert.equal(receipts.rows[0]!.n, 1n);
        } finally {
          await other.close();
        }
      });
    }
  });
}
