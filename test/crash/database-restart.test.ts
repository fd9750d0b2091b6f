import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Sandbox, startSandbox } from '../../src/payments/processors/sandbox/server.ts';
import { apiClient, type JsonResponse } from '../support/http.ts';
import { startSmtpServer, type TestSmtpServer, waitFor } from '../support/mail.ts';
import { type PgCluster, privateClusterUnavailable, startPgCluster } from '../support/processes/pg-cluster.ts';
import {
  freePort,
  migrate,
  type PolicypayProcess,
  startPolicypayProcess,
} from '../support/processes/policypay-process.ts';

const API_KEY = 'pp_test_database_restart_key';

// `policypay serve` and `policypay worker` as child processes on a PostgreSQL cluster of the
// test's own, which it stops (fast, then immediate: a crash) and starts again, and restarts in one
// step. Both processes must live through it: requests during the outage answer 503 problem+json
// with Retry-After, and afterwards requests succeed and a worker sends the e-mails they write.
// PGlite lives inside the process and cannot restart under it, so this runs on PostgreSQL only.
const unavailable = process.env.TEST_DATABASE_URL
  ? privateClusterUnavailable()
  : 'needs PostgreSQL (TEST_DATABASE_URL): PGlite is in-process and cannot be restarted under it';

describe('serve and worker processes ride through a PostgreSQL restart', { skip: unavailable ?? false }, () => {
  let cluster: PgCluster;
  let smtp: TestSmtpServer;
  let sandbox: Sandbox;
  let server: PolicypayProcess;
  let worker: PolicypayProcess;
  let api: ReturnType<typeof apiClient>;
  let contactId: string;
  let requested = 0;
  /** The notes of the payment requests that were created, and of those refused in an outage. */
  const created: string[] = [];
  const refused: string[] = [];

  before(async () => {
    cluster = await startPgCluster();
    smtp = await startSmtpServer();
    const port = await freePort();
    // One sandbox for both processes, so the worker's payments (the demo's autopay) go somewhere.
    const secret = `whsec_restart_${randomBytes(8).toString('hex')}`;
    sandbox = await startSandbox({
      port: 0,
      webhookSecret: secret,
      webhookUrl: `http://127.0.0.1:${port}/api/v1/webhooks/sandbox`,
    });
    const env = {
      DATABASE_URL: cluster.url,
      SMTP_URL: smtp.url,
      POLICYPAY_DEMO_API_KEY: API_KEY,
      POLICYPAY_SANDBOX_URL: sandbox.url,
      POLICYPAY_SANDBOX_WEBHOOK_SECRET: secret,
      // A short wait for a connection keeps each outage answer quick.
      DATABASE_CONNECT_TIMEOUT_MS: '2000',
    };
    // Migrated here first, so that both processes can start at once.
    await migrate(cluster.url);
    [server, worker] = await Promise.all([
      startPolicypayProcess({
        args: ['serve', '--port', String(port)],
        env: { ...env, HOST: '127.0.0.1', POLICYPAY_PUBLIC_URL: `http://127.0.0.1:${port}` },
        ready: /policypay is ready/,
      }),
      startPolicypayProcess({ args: ['worker'], env, ready: /workers running/ }),
    ]);
    const client = apiClient(`http://127.0.0.1:${port}`, API_KEY);
    // A refused connection to the server means it died: say so, with what it printed.
    const alive =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          return await call(...args);
        } catch (error) {
          assertAlive();
          throw error;
        }
      };
    api = { ...client, get: alive(client.get), post: alive(client.post) };
    const contacts = await api.get('/api/v1/customers/1001/contacts');
    assert.equal(contacts.status, 200, JSON.stringify(contacts.body));
    contactId = contacts.body.data[0].id;
  });
  after(async () => {
    await server?.close();
    await worker?.close();
    await smtp?.close();
    await sandbox?.close();
    await cluster?.destroy();
  });

  /** A payment request: its e-mail is written by the request and sent by a worker. */
  const requestPayment = async () => {
    const note = `restart ${++requested}`;
    const answer = await api.post('/api/v1/payment-requests', {
      customerNumber: 1001,
      contactId,
      amount: 10 + requested,
      dueDate: '2099-11-01',
      note,
    });
    (answer.status === 201 ? created : refused).push(note);
    return answer;
  };
  const mailsWith = (note: string) =>
    smtp.messages.filter((m) => new RegExp(`Note: ${note}\\r?\\n`).test(m.decoded)).length;

  const assertAlive = () => {
    assert.ok(server.alive(), `the server died:\n${server.output()}`);
    assert.ok(worker.alive(), `the worker died:\n${worker.output()}`);
  };

  const assertUnavailable = (answer: JsonResponse, what: string) => {
    assert.equal(answer.status, 503, `${what}: ${JSON.stringify(answer.body)}`);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.ok(Number(answer.headers.get('retry-after')) > 0, `${what}: Retry-After`);
    assert.equal(answer.body.type, 'https://policypay.dev/problems/database-unavailable');
  };

  /** Requests succeed again, and a new payment request's e-mail is sent. */
  const assertRecovered = async (round: string) => {
    await waitFor(`requests to succeed after the ${round}`, async () => {
      const answer = await api.get('/api/v1/customers/1001');
      return answer.status === 200;
    });
    const answer = await requestPayment();
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    const note = `restart ${requested}`;
    await waitFor(`the e-mail written after the ${round}`, () => mailsWith(note) > 0);
    assertAlive();
  };

  it('serves and sends before any fault', async () => {
    await assertRecovered('start');
  });

  for (const mode of ['fast', 'immediate'] as const) {
    it(`answers 503 while stopped (${mode}) and recovers when started`, async () => {
      await cluster.stop(mode);
      // Idle pooled connections break now; the processes must drop them and live on.
      const read = await api.get('/api/v1/customers/1001');
      assertUnavailable(read, 'a read during the outage');
      const write = await requestPayment();
      assertUnavailable(write, 'a write during the outage');
      assertAlive();
      await cluster.start();
      await assertRecovered(`${mode} stop`);
    });
  }

  it('recovers from pg_ctl restart', async () => {
    await cluster.restart('fast');
    await assertRecovered('restart');
    await cluster.restart('immediate');
    await assertRecovered('immediate restart');
    // Each created request's e-mail was sent once; the requests refused in an outage wrote nothing.
    assert.equal(created.length, 5);
    assert.equal(refused.length, 2);
    for (const note of created) assert.equal(mailsWith(note), 1, note);
    for (const note of refused) assert.equal(mailsWith(note), 0, note);
    assert.equal(smtp.messages.length, created.length);
  });
});
