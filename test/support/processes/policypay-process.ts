// `policypay serve` or `policypay worker` as a child process, with the environment the test
// gives it (the test owns the database): for the fault tests, which stop the database under it.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../../src/platform/db/database.ts';
import { migrateToLatest } from '../../../src/platform/db/migrate.ts';

const root = join(import.meta.dirname, '..', '..', '..');

export interface PolicypayProcess {
  /** Its stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** Its stdout alone (the banner, and JSON log lines when LOG_LEVEL is set). */
  stdout(): string;
  /** The process is still running (it has not exited, on its own or by a signal). */
  alive(): boolean;
  exitCode(): number | null;
  /** Sends a signal (the shutdown tests' SIGTERM) without waiting. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process exited; rejects after `timeoutMs` (the process is then killed). */
  exited(timeoutMs: number): Promise<number | null>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Brings the database at `url` to the latest schema (what each process would do at start). */
export async function migrate(url: string): Promise<void> {
  const database = await openDatabase({ url });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
}

export async function startPolicypayProcess(options: {
  args: string[];
  env: Record<string, string>;
  /** Printed once the process is ready. */
  ready: RegExp;
  timeoutMs?: number;
}): Promise<PolicypayProcess> {
  let output = '';
  let stdout = '';
  const child: ChildProcess = spawn(process.execPath, [join(root, 'bin', 'policypay.js'), ...options.args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  while (!options.ready.test(output)) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`policypay ${options.args.join(' ')} did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    output: () => output,
    stdout: () => stdout,
    alive: () => !exited,
    exitCode: () => child.exitCode,
    kill: (signal) => {
      child.kill(signal);
    },
    async exited(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`policypay ${options.args.join(' ')} did not exit within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
      });
      try {
        await Promise.race([exit, late]);
      } finally {
        clearTimeout(timer);
      }
      return child.exitCode;
    },
    async close() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}
