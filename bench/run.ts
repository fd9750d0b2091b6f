// `npm run bench`: the benchmark suite of issue 9. One JSON document on stdout (progress on stderr),
// also written to bench-results/latest.json.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { stopHttpLoad } from './http-load.ts';
import { type BenchOptions, type DatabaseChoice, parseOptions, type ScenarioId, usage } from './options.ts';
import { log, type ScenarioResult } from './report.ts';
import { autopayScenario } from './scenarios/autopay.ts';
import { autopayDayScenario } from './scenarios/autopay-day.ts';
import { backOfficeScenario } from './scenarios/back-office.ts';
import { eligibilityEndpointScenario, eligibilityPureScenario } from './scenarios/eligibility.ts';
import { importScenario } from './scenarios/import.ts';
import { ledgerScenario } from './scenarios/ledger.ts';
import { paymentsScenario } from './scenarios/payments.ts';
import { receiptsScenario } from './scenarios/receipts.ts';
import { startupScenario } from './scenarios/startup.ts';
import { syncScenario } from './scenarios/sync.ts';
import { type BenchTarget, openPgliteTarget, openPostgresTarget, redactUrl } from './targets.ts';

// Ledger runs before the scenarios that load hundreds of thousands of rows (payments, autopay,
// sync) into the same schema: its statement and baseline are measured on tables of their own size.
const databaseScenarios: {
  id: ScenarioId;
  resultId: string;
  issueScenario: number;
  name: string;
  run: (options: BenchOptions, target: BenchTarget) => Promise<ScenarioResult>;
}[] = [
  { id: 'receipts', resultId: 'receipts', issueScenario: 1, name: 'receipts over HTTP', run: receiptsScenario },
  {
    id: 'eligibility',
    resultId: 'eligibility-endpoint',
    issueScenario: 2,
    name: 'eligibility decisions via the endpoint',
    run: eligibilityEndpointScenario,
  },
  {
    id: 'ledger',
    resultId: 'ledger',
    issueScenario: 6,
    name: 'ledger: customer account statement',
    run: ledgerScenario,
  },
  {
    id: 'payments',
    resultId: 'payments',
    issueScenario: 3,
    name: 'payments executed per second against the sandbox processor',
    run: paymentsScenario,
  },
  {
    id: 'autopay',
    resultId: 'autopay',
    issueScenario: 4,
    name: 'autopay pass over due invoices',
    run: autopayScenario,
  },
  {
    id: 'autopay-day',
    resultId: 'autopay-day',
    issueScenario: 7,
    name: 'autopay day through the job queue',
    run: autopayDayScenario,
  },
  {
    id: 'sync',
    resultId: 'sync',
    issueScenario: 5,
    name: 'daily sync of 100,000 accounts, and a no-change re-run',
    run: syncScenario,
  },
  {
    id: 'import',
    resultId: 'import',
    issueScenario: 18,
    name: 'import a book from CSV, and the same files again',
    run: importScenario,
  },
  {
    id: 'back-office',
    resultId: 'back-office',
    issueScenario: 19,
    name: 'the back office at an agency’s real size: search, a customer page, AR aging',
    run: backOfficeScenario,
  },
];

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The commit measured, and whether the working tree differed from it (bench-results aside). */
function gitState(): { commit: string | null; dirty: boolean | null } {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const status = git(['status', '--porcelain', '--', '.', ':(exclude)bench-results']);
  return { commit, dirty: status === null ? null : status.length > 0 };
}

function machine() {
  return {
    nproc: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel: cpuModel(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function failed(
  base: { resultId: string; issueScenario: number; name: string },
  database: DatabaseChoice,
  error: unknown,
): ScenarioResult {
  return {
    id: base.resultId,
    issueScenario: base.issueScenario,
    name: base.name,
    status: 'failed',
    reason: error instanceof Error ? error.message : String(error),
    database,
    node: process.version,
  };
}

async function runOnDatabase(
  options: BenchOptions,
  database: DatabaseChoice,
  scenarios: typeof databaseScenarios,
): Promise<ScenarioResult[]> {
  if (database === 'postgres' && !options.databaseUrl) {
    const reason = 'BENCH_DATABASE_URL is not set: no PostgreSQL server to run on';
    log(`postgres: skipped (${reason})`);
    return scenarios.map((s) => ({
      id: s.resultId,
      issueScenario: s.issueScenario,
      name: s.name,
      status: 'skipped',
      reason,
      database: 'postgres',
      node: process.version,
    }));
  }
  let target: BenchTarget;
  try {
    log(`${database}: opening a migrated database and the HTTP app`);
    target =
      database === 'postgres'
        ? await openPostgresTarget(options.databaseUrl!, options.concurrency)
        : await openPgliteTarget();
  } catch (error) {
    log(`${database}: could not open: ${error instanceof Error ? error.message : String(error)}`);
    return scenarios.map((s) => failed(s, database, error));
  }
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of scenarios) {
      try {
        results.push(await scenario.run(options, target));
      } catch (error) {
        log(`${scenario.id}/${database} failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
        results.push(failed(scenario, database, error));
      }
    }
  } finally {
    await target.close();
  }
  return results;
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
    return 2;
  }
  if (parsed === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const options = parsed;
  const startedAt = new Date();
  log(
    `policypay bench: ${options.runs} runs of ${options.durationSeconds} s, ${options.concurrency} clients, ` +
      `scenarios ${options.only.join(', ')}, databases ${options.databases.join(', ')}`,
  );

  const results: ScenarioResult[] = [];
  if (options.only.includes('eligibility')) results.push(eligibilityPureScenario(options));
  // Before the in-process scenarios: it spawns servers of its own and wants the machine quiet.
  if (options.only.includes('startup')) {
    try {
      results.push(await startupScenario(options));
    } catch (error) {
      log(`startup failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
      results.push(
        failed({ resultId: 'startup', issueScenario: 8, name: 'npm start on embedded PGlite' }, 'pglite', error),
      );
    }
  }
  const scenarios = databaseScenarios.filter((s) => options.only.includes(s.id));
  if (scenarios.length > 0) {
    // PostgreSQL first: PGlite's WebAssembly heap stays resident after it closes and would inflate
    // the PostgreSQL scenarios' peak RSS.
    const order = (['postgres', 'pglite'] as const).filter((d) => options.databases.includes(d));
    try {
      for (const database of order) results.push(...(await runOnDatabase(options, database, scenarios)));
    } finally {
      stopHttpLoad();
    }
  }

  const document = {
    suite: 'policypay bench (issue 9)',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    git: gitState(),
    node: process.version,
    machine: machine(),
    options: {
      secondsPerReceiptsRun: options.durationSeconds,
      runs: options.runs,
      concurrency: options.concurrency,
      scenarios: options.only,
      databases: options.databases,
      postgres: options.databaseUrl ? redactUrl(options.databaseUrl) : null,
    },
    notes: [
      'The HTTP server and the raw-SQL baselines run in the bench process (its peak RSS is reported); the HTTP load ' +
        'clients run in a separate process. ' +
        'PostgreSQL, when used, runs on the same machine.',
      'ratio.opsPerSecond = policypay median ops/s ÷ baseline median ops/s, both measured in this run, interleaved.',
      'diagnostics.cpu (means over the measured runs): benchProcessCores = CPU seconds per second of this process, ' +
        'all threads; mainEventLoopUtilization = how busy the server / raw-driver thread was; machineBusy = share of ' +
        'all cores busy, other work on the machine included; postgresCores = local postgres processes, all clients.',
    ],
    scenarios: results,
  };
  const json = JSON.stringify(document, null, 2);
  const out = resolve(options.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${json}\n`);
  process.stdout.write(`${json}\n`);
  log(`written to ${out}`);
  for (const r of results) {
    const figure =
      r.status === 'ok' && r.summary
        ? `${r.summary}${r.target ? `, target ${r.target.met ? 'met' : 'MISSED'}` : ''}`
        : r.status === 'ok'
          ? `${r.opsPerSecond?.median} ops/s (min ${r.opsPerSecond?.min}, max ${r.opsPerSecond?.max})` +
            (r.latencyMs ? `, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms` : '') +
            (r.ratio ? `, ${Math.round(r.ratio.opsPerSecond * 1000) / 10} % of baseline` : '') +
            Object.entries(r.otherBaselines ?? {})
              .map(([name, other]) => `, ${Math.round(other.ratio.opsPerSecond * 1000) / 10} % of ${name}`)
              .join('') +
            (r.openLoop
              ? `, open loop at ${r.openLoop.offeredPerSecond}/s: p50 ${r.openLoop.latencyMs?.p50} ms, p99 ${r.openLoop.latencyMs?.p99} ms`
              : '') +
            (r.target ? `, target ${r.target.met ? 'met' : 'MISSED'}` : '')
          : `${r.status}: ${r.reason}`;
    log(`  ${r.id} [${r.database}]: ${figure}`);
  }
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
