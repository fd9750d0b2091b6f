// `policypay serve` (what `npm start` runs) as a child process on free ports, over a fresh
// database: PGlite in memory, or a new database on the PostgreSQL server of TEST_DATABASE_URL.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import type { Target } from '../support/db.ts';

const root = join(import.meta.dirname, '..', '..');

export interface ServeProcess {
  url: string;
  /** The demo's staff sign-in; with `demo: false`, the first run's setup link instead. */
  staff: { email: string; password: string };
  setupUrl: string | null;
  output: () => string;
  /** The PostgreSQL database the process runs on (null on PGlite, which lives in the process). */
  databaseUrl: string | null;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

async function admin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database URL for `target`, and how to drop it afterwards. */
async function freshDatabase(target: Target): Promise<{ url: string; drop: () => Promise<void> }> {
  if (target === 'pglite') return { url: 'memory://', drop: async () => {} };
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `policypay_web_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export async function startServeProcess(options: {
  target: Target;
  env?: Record<string, string>;
  /** false: `serve --no-demo`, an empty database waiting for its first run. */
  demo?: boolean;
}): Promise<ServeProcess> {
  const demo = options.demo ?? true;
  const database = await freshDatabase(options.target);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, 'bin', 'policypay.js'), 'serve', ...(demo ? [] : ['--no-demo'])],
    {
      cwd: root,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        POLICYPAY_PUBLIC_URL: url,
        POLICYPAY_SANDBOX_PORT: '0',
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 300_000;
  while (!/policypay is ready/.test(output) || !(demo ? /staff sign-in/ : /first run/).test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      await database.drop();
      throw new Error(`policypay serve did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const login = /staff sign-in\s+(\S+)\s*\/\s*(\S+)/.exec(output);
  const setup = /first run\s+(\S+)/.exec(output);
  if (demo ? !login?.[1] || !login[2] : !setup?.[1]) {
    throw new Error(`no ${demo ? 'staff sign-in' : 'first-run link'} in the start-up banner:\n${output}`);
  }

  return {
    url,
    staff: { email: login?.[1] ?? '', password: login?.[2] ?? '' },
    setupUrl: setup?.[1] ?? null,
    output: () => output,
    databaseUrl: options.target === 'postgres' ? database.url : null,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await database.drop();
    },
  };
}
