// GET /metrics: the operator token on the main port, METRICS_PORT without one, the request
// histogram's labels, and the figures read from the database moving after a payment, an autopay
// pass and an e-mail (they are totals of the rows, the same whichever process is scraped).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deliverEmail, queueEmail } from '../../../src/email/outbox.ts';
import { executePayment } from '../../../src/payments/execution.ts';
import { CARD_DECLINED_STOLEN, CARD_LOST_RESPONSE } from '../../../src/payments/processors/sandbox/test-numbers.ts';
import { inTransaction } from '../../../src/platform/db/transaction.ts';
import type { App } from '../../../src/platform/http/types.ts';
import { noJobQueue } from '../../../src/platform/jobs/job-queue.ts';
import { createMetrics, type Metrics } from '../../../src/platform/metrics/metrics.ts';
import { UNMATCHED_ROUTE } from '../../../src/platform/metrics/metrics-routes.ts';
import { startMetricsServer } from '../../../src/platform/metrics/metrics-server.ts';
import { hasOperatorToken } from '../../../src/platform/metrics/operator-token.ts';
import { databaseTargets } from '../../support/db.ts';
import { assertResponsesMatchedDocument, buildTestApp } from '../../support/openapi.ts';
import { type PaymentsWorld, paymentSteps, startPaymentsWorld } from '../../support/payments.ts';
import { AUTOPAY_TIME, autopayScenarios } from '../../support/worlds/autopay-scenario.ts';

const TOKEN = 'op_metrics_test_token_0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples (comments skipped). */
function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value),
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

for (const target of databaseTargets()) {
  describe(`metrics on ${target}`, () => {
    let world: PaymentsWorld;
    let ops: App;
    let customerNumber: number;
    const { openInvoice, saveCard, pay } = paymentSteps(() => ({ world, customerNumber }));
    const { scenario } = autopayScenarios(() => ({ world, target }));

    /** `null`: no Authorization header. */
    const scrape = async (app: App = ops, authorization: string | null = `Bearer ${TOKEN}`) =>
      app.inject({ method: 'GET', url: '/metrics', headers: authorization === null ? {} : { authorization } });
    const samples = async () => {
      const res = await scrape();
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
      return parseSamples(res.body);
    };

    before(async () => {
      world = await startPaymentsWorld(target);
      // A second app over the same database, as an operator's deployment with a token would run it.
      ops = await buildTestApp({ database: world.database, processors: world.processors, operatorToken: TOKEN });
      customerNumber = (await world.api.post('/api/v1/customers', { type: 'individual', name: 'Jane Smith' })).body
        .customerNumber;
    });
    after(async () => {
      await ops?.close();
      await world?.close();
      if (ops) assertResponsesMatchedDocument(ops);
    });

    it('refuses a scrape without the operator token, or with a wrong one, as 401 problem+json', async () => {
      for (const authorization of [null, '', `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, 'Basic abc']) {
        const res = await scrape(ops, authorization);
        assert.equal(res.statusCode, 401, `${authorization}: ${res.body}`);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.equal(res.json().type, 'https://policypay.dev/problems/unauthenticated');
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="policypay metrics"');
        assert.doesNotMatch(res.body, /policypay_/);
      }
      // An API key is no operator token.
      assert.equal((await scrape(ops, `Bearer ${world.agency.apiKey}`)).statusCode, 401);
      assert.equal((await scrape(ops, `bearer  ${TOKEN}`)).statusCode, 200, 'the scheme is case-insensitive');
    });

    it('has no /metrics on the main port when no operator token is configured', async () => {
      const res = await scrape(world.app);
      assert.equal(res.statusCode, 404);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    });

    it('labels request durations by method, route template and status, never by the raw URL', async () => {
      const id = 987_654_321;
      const res = await ops.inject({
        method: 'GET',
        url: `/api/v1/customers/${id}?x=1`,
        headers: { authorization: `Bearer ${world.agency.apiKey}` },
      });
      assert.equal(res.statusCode, 404);
      await ops.inject({
        method: 'GET',
        url: `/api/v1/customers/${customerNumber}`,
        headers: { authorization: `Bearer ${world.agency.apiKey}` },
      });
      await ops.inject({ method: 'GET', url: `/no/such/path/${id}` });
      const scraped = await scrape();
      const lines = parseSamples(scraped.body).filter(
        (s) => s.name === 'policypay_http_request_duration_seconds_count',
      );
      const route = '/api/v1/customers/:customerNumber';
      assert.equal(
        sampleValue(lines, 'policypay_http_request_duration_seconds_count', {
          route,
          status_code: '404',
          method: 'GET',
        }),
        1,
      );
      assert.equal(
        sampleValue(lines, 'policypay_http_request_duration_seconds_count', {
          route,
          status_code: '200',
          method: 'GET',
        }),
        1,
      );
      assert.equal(
        sampleValue(lines, 'policypay_http_request_duration_seconds_count', {
          route: UNMATCHED_ROUTE,
          status_code: '404',
        }),
        1,
      );
      assert.doesNotMatch(scraped.body, new RegExp(String(id)), 'no raw id in any label');
      assert.doesNotMatch(scraped.body, new RegExp(`customers/${customerNumber}\\b`));
    });

    it('moves the payment, autopay and e-mail figures after a payment, an autopay pass and an e-mail', async () => {
      const start = await samples();
      assert.equal(sampleValue(start, 'policypay_database_up'), 1);
      for (const name of [
        'process_cpu_user_seconds_total',
        'nodejs_eventloop_lag_seconds',
        'policypay_payments_created_total',
      ]) {
        assert.notEqual(sampleValue(start, name), undefined, `${name} is reported`);
      }

      // An autopay pass fires an invoice: a payment that then succeeds.
      const s = await scenario({ enroll: true });
      const { invoices } = await s.policy();
      const run = await s.pass(AUTOPAY_TIME);
      assert.equal(run.fired, 1);
      const [autopayPayment] = await s.paymentsOf();
      assert.equal((await executePayment(world.database.db, world.processors, autopayPayment!.id)).status, 'succeeded');
      assert.ok(invoices.length > 0);
      // A payment that fails for good.
      const declined = await pay(await saveCard(CARD_DECLINED_STOLEN), (await openInvoice(20)).invoiceNumber, 20);
      assert.equal((await executePayment(world.database.db, world.processors, declined)).status, 'declined');
      // An e-mail sent.
      const emailId = await inTransaction(world.database.db, (tx) =>
        queueEmail(
          tx,
          world.agency.id,
          { kind: 'test', to: 'jane@example.com', subject: 'Hello', text: 'Hello', html: '<p>Hello</p>' },
          noJobQueue,
        ),
      );
      const queued = await samples();
      assert.equal(
        sampleValue(queued, 'policypay_email_outbox_depth'),
        (sampleValue(start, 'policypay_email_outbox_depth') ?? 0) + 1,
      );
      const sent = await deliverEmail(world.database.db, { sendMail: async () => ({}) }, emailId, {
        from: 'x@example.com',
      });
      assert.equal(sent, 'sent');

      const end = await samples();
      const moved = (name: string, labels: Record<string, string> = {}) =>
        (sampleValue(end, name, labels) ?? 0) - (sampleValue(start, name, labels) ?? 0);
      assert.equal(moved('policypay_payments_created_total'), 2);
      assert.equal(moved('policypay_payments_succeeded_total'), 1);
      assert.equal(moved('policypay_payments_failed_total'), 1);
      assert.equal(moved('policypay_payments', { state: 'posted' }), 1);
      assert.equal(moved('policypay_payments', { state: 'failed' }), 1);
      assert.equal(moved('policypay_autopay_runs_total', { status: 'finished' }), 1);
      assert.equal(moved('policypay_autopay_fired_total'), 1);
      assert.equal(moved('policypay_emails_sent_total'), 1);
      assert.equal(moved('policypay_emails', { status: 'sent' }), 1);
      assert.equal(
        sampleValue(end, 'policypay_email_outbox_depth'),
        sampleValue(start, 'policypay_email_outbox_depth'),
      );
      for (const system of ['ams', 'benefits', 'crm']) {
        assert.equal(sampleValue(end, 'policypay_sync_push_backlog', { system }), 0);
      }
      if (target === 'postgres') assert.ok((sampleValue(end, 'policypay_database_pool_connections') ?? 0) >= 1);
      else assert.equal(sampleValue(end, 'policypay_database_pool_connections'), undefined, 'PGlite has no pool');
    });

    it('reports attempts in unknown and how long the janitor is behind, as of the scrape', async () => {
      const lost = await pay(await saveCard(CARD_LOST_RESPONSE), (await openInvoice(30)).invoiceNumber, 30);
      assert.equal((await executePayment(world.database.db, world.processors, lost)).status, 'unknown');
      // Scraped as if two days later: the attempt's first check (minutes after it) is long due.
      const later = new Date(Date.now() + 2 * 86_400_000);
      const metrics = createMetrics({ database: world.database, clock: () => later });
      const figures = parseSamples((await metrics.scrape()).body);
      assert.ok((sampleValue(figures, 'policypay_payment_attempts_unknown') ?? 0) >= 1);
      assert.ok((sampleValue(figures, 'policypay_payment_attempts_awaiting_janitor') ?? 0) >= 1);
      assert.ok((sampleValue(figures, 'policypay_payment_janitor_lag_seconds') ?? 0) > 86_400);
      assert.ok((sampleValue(figures, 'policypay_payment_attempt_oldest_unknown_seconds') ?? 0) > 86_400);
    });

    it('serves METRICS_PORT without a token, with pg-boss queue counts when the process has them', async () => {
      const metrics: Metrics = createMetrics({
        database: world.database,
        jobQueues: async () => [
          { name: 'email.deliver', readyCount: 3, deferredCount: 1, activeCount: 2, failedCount: 0 },
        ],
      });
      const server = await startMetricsServer(metrics, { port: 0, host: '127.0.0.1' });
      try {
        const res = await fetch(`${server.url}/metrics`);
        assert.equal(res.status, 200);
        const figures = parseSamples(await res.text());
        assert.equal(sampleValue(figures, 'policypay_job_queue_jobs', { queue: 'email.deliver', state: 'ready' }), 3);
        assert.equal(sampleValue(figures, 'policypay_job_queue_jobs', { queue: 'email.deliver', state: 'active' }), 2);
        assert.equal(sampleValue(figures, 'policypay_database_up'), 1);
        const other = await fetch(`${server.url}/api/v1/health`);
        assert.equal(other.status, 404);
        assert.equal(other.headers.get('content-type'), 'application/problem+json');
        await other.body?.cancel();
      } finally {
        await server.close();
      }
    });
  });
}

describe('operator token comparison', () => {
  it('accepts exactly the token as a bearer credential', () => {
    assert.equal(hasOperatorToken(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(hasOperatorToken(`BEARER ${TOKEN} `, TOKEN), true);
    for (const header of [
      undefined,
      '',
      'Bearer',
      `Bearer ${TOKEN} extra`,
      `Token ${TOKEN}`,
      `Bearer ${TOKEN.toUpperCase()}`,
    ]) {
      assert.equal(hasOperatorToken(header, TOKEN), false, String(header));
    }
  });
});
