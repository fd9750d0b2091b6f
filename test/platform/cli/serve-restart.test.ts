import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startPolicypayProcess } from '../../support/processes/policypay-process.ts';

// `policypay serve` on one embedded data directory, started again and again as a person would.
describe('policypay serve: its terminal output across restarts', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'policypay-serve-'));
  });
  after(async () => rm(dataDir, { recursive: true, force: true }));

  async function serve(env: Record<string, string> = {}) {
    const port = await freePort();
    const server = await startPolicypayProcess({
      args: ['serve'],
      // An empty variable is an unset one (config.ts): LOG_LEVEL and the rest as on a fresh machine.
      env: {
        DATABASE_URL: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        POLICYPAY_SANDBOX_PORT: '0',
        LOG_LEVEL: '',
        POLICYPAY_DEMO_API_KEY: '',
        POLICYPAY_PUBLIC_URL: '',
        POLICYPAY_SECRET_KEY: '',
        POLICYPAY_SECRET_KEYS: '',
        STRIPE_SECRET_KEY: '',
        SMTP_URL: '',
        ...env,
      },
      // The banner's last line.
      ready: /TEST MODE/,
    });
    return { server, url: `http://localhost:${port}` };
  }

  /** A few requests, then a clean stop: whatever they logged has been written by the time it exits. */
  async function requestThenStop(run: Awaited<ReturnType<typeof serve>>) {
    const health = await fetch(`${run.url}/api/v1/health`);
    assert.equal(health.status, 200);
    const page = await fetch(`${run.url}/`);
    assert.equal(page.status, 200);
    await page.arrayBuffer();
    await run.server.close();
  }

  it('prints the console, the portal and how to sign in on every start, and no request lines', async () => {
    const first = await serve();
    await requestThenStop(first);
    assert.match(first.server.stdout(), /staff sign-in\s+dana@demo\.policypay\.dev \/ policypay-demo/);
    assert.match(first.server.stdout(), /staff API key\s+pp_live_\S+\s+\(shown once\)/);

    const second = await serve();
    await requestThenStop(second);
    const stdout = second.server.stdout();
    assert.match(stdout, new RegExp(`staff console\\s+${second.url}/\\n`));
    assert.match(
      stdout,
      new RegExp(`client portal\\s+${second.url}/portal \\(demo client jane\\.smith@example\\.com\\)`),
    );
    assert.match(stdout, /demo agency\s+"Demo Agency" \(loaded earlier\)/);
    assert.match(stdout, /staff sign-in\s+dana@demo\.policypay\.dev \/ policypay-demo/);
    assert.match(stdout, /staff API key\s+.*policypay api-key create --agency demo --role staff/);
    assert.doesNotMatch(stdout, /pp_live_/, 'the API key is shown once only');
    // LOG_LEVEL unset: the terminal shows the banner, never a JSON log line.
    const jsonLines = stdout.split('\n').filter((line) => line.trimStart().startsWith('{'));
    assert.deepEqual(jsonLines, [], stdout);
    assert.doesNotMatch(second.server.output(), /"msg":"request"/);
  });

  it('with LOG_LEVEL set, writes one JSON line per request to stdout', async () => {
    const third = await serve({ LOG_LEVEL: 'info' });
    await requestThenStop(third);
    const entries = third.server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; msg: string; route?: string; status?: number });
    const requests = entries.filter((e) => e.msg === 'request');
    assert.deepEqual(
      requests.map((e) => [e.level, e.route, e.status]),
      [
        ['info', '/api/v1/health', 200],
        ['info', '/', 200],
      ],
    );
    assert.match(third.server.stdout(), /staff sign-in\s+dana@demo\.policypay\.dev/);
  });
});
