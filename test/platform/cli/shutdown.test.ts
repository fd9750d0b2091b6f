// `policypay serve` as a child process, stopped with SIGTERM while a request is in flight: a
// request whose body is still arriving gets its answer and then the process exits 0; one whose
// body never completes makes the process give up at SHUTDOWN_TIMEOUT_SECONDS and exit non-zero.
// `policypay worker` stops on SIGTERM too. Both serve their metrics ports while running.
// The request is held open by its body (Expect: 100-continue tells the test the server has it),
// so nothing in the server waits on purpose; deadlines are generous, never measured.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { databaseTargets, type Target } from '../../support/db.ts';
import { waitFor } from '../../support/mail.ts';
import { type PgCluster, privateClusterUnavailable, startPgCluster } from '../../support/processes/pg-cluster.ts';
import { freePort, migrate, startPolicypayProcess } from '../../support/processes/policypay-process.ts';

const API_KEY = 'pp_test_shutdown_drain_key_0001';
const OPERATOR_TOKEN = 'op_test_shutdown_operator_token_01';
const DEADLINE_MS = 120_000;

/** An HTTP/1.1 connection written by hand, so that a request body can stop half-way. */
async function openConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
  });
  socket.on('error', () => {});
  return {
    write: (text: string) => socket.write(text),
    received: () => received,
    until: (pattern: RegExp, what: string) => waitFor(what, () => pattern.exec(received) ?? undefined, DEADLINE_MS),
    destroy: () => socket.destroy(),
  };
}

/** Whether a new connection to the port is refused (the server stopped listening). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

const skipFor = (target: Target): string | false => {
  if (target === 'pglite') return false;
  const reason = privateClusterUnavailable();
  return reason ? `needs a private PostgreSQL cluster: ${reason}` : false;
};

for (const target of databaseTargets()) {
  describe(`serve and worker shut down gracefully on ${target}`, { skip: skipFor(target) }, () => {
    let cluster: PgCluster | undefined;
    let databaseUrl = 'memory://';

    before(async () => {
      if (target === 'postgres') {
        // The process migrates and runs pg-boss in the whole database: a cluster of the test's own.
        cluster = await startPgCluster();
        databaseUrl = cluster.url;
        await migrate(cluster.url);
      }
    });
    after(async () => cluster?.destroy());

    async function startServe(shutdownSeconds: number, env: Record<string, string> = {}) {
      const port = await freePort();
      const server = await startPolicypayProcess({
        args: ['serve', '--port', String(port)],
        env: {
          DATABASE_URL: databaseUrl,
          HOST: '127.0.0.1',
          POLICYPAY_DEMO_API_KEY: API_KEY,
          POLICYPAY_SANDBOX_PORT: '0',
          SHUTDOWN_TIMEOUT_SECONDS: String(shutdownSeconds),
          ...env,
        },
        ready: /policypay is ready/,
      });
      return { port, server };
    }

    /** A POST whose headers the server has read (it answered 100 Continue) and whose body is half sent. */
    async function halfSentPost(port: number, body: string) {
      const connection = await openConnection(port);
      connection.write(
        'POST /api/v1/customers HTTP/1.1\r\n' +
          `Host: 127.0.0.1:${port}\r\n` +
          `Authorization: Bearer ${API_KEY}\r\n` +
          'Content-Type: application/json\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          'Expect: 100-continue\r\n\r\n',
      );
      await connection.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/, 'the server to read the request headers');
      connection.write(body.slice(0, 10));
      return connection;
    }

    it('answers a request still arriving at SIGTERM, then exits 0', async () => {
      const metricsPort = await freePort();
      const { port, server } = await startServe(60, {
        POLICYPAY_OPERATOR_TOKEN: OPERATOR_TOKEN,
        METRICS_PORT: String(metricsPort),
      });
      // Running, it is ready (its workers included) and serves its metrics on both ports.
      const ready = await fetch(`http://127.0.0.1:${port}/api/v1/ready`);
      assert.deepEqual(await ready.json(), {
        status: 'ready',
        checks: { database: 'ok', migrations: 'ok', workers: 'ok' },
      });
      const scraped = await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      });
      assert.equal(scraped.status, 200);
      assert.match(await scraped.text(), /^policypay_job_queue_jobs\{queue="email\.deliver",state="ready"\} \d+$/m);
      const unauthenticated = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(unauthenticated.status, 401);
      await unauthenticated.body?.cancel();
      const onMetricsPort = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(onMetricsPort.status, 200);
      assert.match(await onMetricsPort.text(), /^policypay_payments_created_total \d+$/m);
      assert.match(server.output(), new RegExp(`metrics +http://127\\.0\\.0\\.1:${metricsPort}/metrics`));

      const body = JSON.stringify({ type: 'individual', name: 'Drained Customer' });
      const connection = await halfSentPost(port, body);
      try {
        server.kill('SIGTERM');
        await waitFor('the server to stop accepting connections', () => refused(port), DEADLINE_MS);
        assert.ok(server.alive(), 'the process waits for the request in flight');
        connection.write(body.slice(10));
        const [answer] = await connection.until(/HTTP\/1\.1 (?!100)\d{3}[\s\S]*?\r\n\r\n\{[\s\S]*\}/, 'the answer');
        assert.match(answer, /^HTTP\/1\.1 201 /);
        assert.match(answer, /"name":"Drained Customer"/);
        // A keep-alive connection would otherwise hold the close up until its timeout.
        assert.match(answer, /\r\nconnection: close\r\n/i);
        assert.equal(await server.exited(DEADLINE_MS), 0, server.output());
        assert.match(server.output(), /SIGTERM: stopping \(at most 60 s\)/);
        assert.equal(await refused(metricsPort), true, 'the metrics port closed with the rest');
      } finally {
        connection.destroy();
        await server.close();
      }
    });

    it('exits non-zero once SHUTDOWN_TIMEOUT_SECONDS has passed with a request that never completes', async () => {
      const { port, server } = await startServe(1);
      const connection = await halfSentPost(port, JSON.stringify({ type: 'individual', name: 'Never Finished' }));
      try {
        server.kill('SIGTERM');
        assert.equal(await server.exited(DEADLINE_MS), 1, server.output());
        assert.match(server.output(), /shutdown did not finish within 1 s \(still stopping the HTTP server\): exiting/);
        assert.doesNotMatch(connection.received(), /HTTP\/1\.1 201/);
      } finally {
        connection.destroy();
        await server.close();
      }
    });

    it('stops a worker process on SIGTERM (exit 0), which serves its own metrics on METRICS_PORT', async () => {
      const metricsPort = await freePort();
      const worker = await startPolicypayProcess({
        args: ['worker'],
        env: { DATABASE_URL: databaseUrl, METRICS_PORT: String(metricsPort), SHUTDOWN_TIMEOUT_SECONDS: '60' },
        ready: /workers running/,
      });
      try {
        const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        assert.equal(scraped.status, 200);
        const text = await scraped.text();
        assert.match(text, /^policypay_job_queue_jobs\{queue="email\.deliver",state="ready"\} \d+$/m);
        assert.match(text, /^nodejs_eventloop_lag_seconds /m);
        worker.kill('SIGTERM');
        assert.equal(await worker.exited(DEADLINE_MS), 0, worker.output());
      } finally {
        await worker.close();
      }
    });
  });
}
