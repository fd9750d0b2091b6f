// Scenario 8 (issue 21): how long `npm start` takes to answer, and what it holds when idle, on
// embedded PGlite — a first start on an empty data directory (demo loaded) and a restart on it.
//
// It spawns exactly what `npm start` runs (the command in package.json's `start` script) from a
// checkout (`--startup-root`, default this one, so an older commit can be measured the same way)
// and times spawn → first 200 from /api/v1/health. Idle RSS is read from /proc after the server
// has been idle a while. Two baselines run interleaved in the same runs: a bare Node HTTP server
// (the floor of any Node start) and a bare PGlite opening the restarted data directory with the
// same settings and answering HTTP (the floor of an embedded database in one process). With
// `--startup-compare <checkout>` an older checkout's first start and restart run interleaved in
// the same runs too, so before and after meet the same machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BenchOptions } from '../options.ts';
import { log, median, type ScenarioResult } from '../report.ts';

interface Start {
  /** Spawn → first 200 from the health URL. */
  readyMs: number;
  /** Resident set after the idle wait (median of a few readings a second apart). */
  idleRssMb: number;
  /** The process's peak resident set up to then (VmHWM). */
  peakRssMb: number;
}

interface Figures {
  readyMs: { median: number; runs: number[] };
  idleRssMb: { median: number; runs: number[] };
  peakRssMb: { median: number; runs: number[] };
}

const benchDir = join(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024);
}

async function waitHealthy(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before answering ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no 200 from ${url} within ${deadlineMs / 1000} s`);
}

async function measure(
  label: string,
  command: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  port: number,
  idleSeconds: number,
): Promise<Start> {
  const started = performance.now();
  const child = spawn(process.execPath, command, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  try {
    await waitHealthy(`http://127.0.0.1:${port}/api/v1/health`, child, 120_000);
    const readyMs = Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const readings: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      readings.push(procStatus(child.pid!, 'VmRSS'));
      await new Promise((r) => setTimeout(r, 1000));
    }
    const result = { readyMs, idleRssMb: median(readings), peakRssMb: procStatus(child.pid!, 'VmHWM') };
    log(`startup/${label}: ready in ${readyMs} ms, idle RSS ${result.idleRssMb} MB, peak ${result.peakRssMb} MB`);
    return result;
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}\n${output.slice(-2000)}`);
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

/** The Node arguments of package.json's `start` script (`node <args…>`), run from `root`. */
function startCommand(root: string): string[] {
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  const [program, ...args] = script.split(/\s+/);
  if (program !== 'node') throw new Error(`start script is not a node command: ${script}`);
  return args;
}

function figures(starts: Start[]): Figures {
  const of = (key: keyof Start) => ({ median: median(starts.map((s) => s[key])), runs: starts.map((s) => s[key]) });
  return { readyMs: of('readyMs'), idleRssMb: of('idleRssMb'), peakRssMb: of('peakRssMb') };
}

export async function startupScenario(options: BenchOptions): Promise<ScenarioResult> {
  const root = resolve(options.startupRoot ?? join(benchDir, '..'));
  const command = startCommand(root);
  const idleSeconds = options.startupIdleSeconds;
  const compareRoot = options.startupCompare ? resolve(options.startupCompare) : undefined;
  const compareCommand = compareRoot ? startCommand(compareRoot) : undefined;
  const fresh: Start[] = [];
  const restart: Start[] = [];
  const compareFresh: Start[] = [];
  const compareRestart: Start[] = [];
  const bareNode: Start[] = [];
  const barePglite: Start[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    const dir = await mkdtemp(join(tmpdir(), 'policypay-startup-'));
    try {
      const port = await freePort();
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: join(dir, 'data'),
        PORT: String(port),
        POLICYPAY_SANDBOX_PORT: String(await freePort()),
      };
      delete env.LOG_LEVEL;
      bareNode.push(
        await measure(
          'bare node',
          [join(benchDir, 'processes', 'bare-server.ts'), 'node'],
          env,
          root,
          port,
          idleSeconds,
        ),
      );
      if (compareRoot && compareCommand) {
        const other = { ...env, DATABASE_URL: join(dir, 'compare-data') };
        compareFresh.push(
          await measure(`compared first start ${run + 1}`, compareCommand, other, compareRoot, port, idleSeconds),
        );
        compareRestart.push(
          await measure(`compared restart ${run + 1}`, compareCommand, other, compareRoot, port, idleSeconds),
        );
      }
      fresh.push(await measure(`first start ${run + 1}`, command, env, root, port, idleSeconds));
      restart.push(await measure(`restart ${run + 1}`, command, env, root, port, idleSeconds));
      barePglite.push(
        await measure(
          'bare PGlite',
          [join(benchDir, 'processes', 'bare-server.ts'), 'pglite', join(dir, 'data')],
          env,
          root,
          port,
          idleSeconds,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const result = {
    firstStart: figures(fresh),
    restart: figures(restart),
    baselines: { bareNode: figures(bareNode), barePglite: figures(barePglite) },
    ...(compareRoot
      ? { compared: { root: compareRoot, firstStart: figures(compareFresh), restart: figures(compareRestart) } }
      : {}),
  };
  const met =
    result.firstStart.readyMs.median <= 5000 &&
    result.restart.readyMs.median <= 2000 &&
    result.restart.idleRssMb.median <= 300;
  return {
    id: 'startup',
    issueScenario: 8,
    name: '`npm start` on embedded PGlite: first start, restart, idle memory',
    status: 'ok',
    database: 'pglite',
    node: process.version,
    description:
      `${options.runs} runs of: bare Node server, first start on an empty data directory (demo loaded), restart on ` +
      `it, bare PGlite on it; ready = spawn → first 200 from /api/v1/health; idle RSS after ${idleSeconds} s idle. ` +
      `Command: node ${command.join(' ')} in ${root}.`,
    runs: options.runs,
    target: {
      description: 'first start ≤ 5 s, restart ≤ 2 s, idle RSS after restart ≤ 300 MB (medians)',
      met,
    },
    diagnostics: result,
    summary:
      `first start ${result.firstStart.readyMs.median} ms, restart ${result.restart.readyMs.median} ms, ` +
      `idle RSS ${result.restart.idleRssMb.median} MB (bare Node ${result.baselines.bareNode.readyMs.median} ms / ` +
      `${result.baselines.bareNode.idleRssMb.median} MB, bare PGlite ${result.baselines.barePglite.readyMs.median} ms / ` +
      `${result.baselines.barePglite.idleRssMb.median} MB)` +
      (result.compared
        ? `; compared checkout: first start ${result.compared.firstStart.readyMs.median} ms, restart ` +
          `${result.compared.restart.readyMs.median} ms, idle RSS ${result.compared.restart.idleRssMb.median} MB`
        : ''),
  };
}
