import { parseArgs } from 'node:util';

const scenarioIds = [
  'receipts',
  'eligibility',
  'payments',
  'autopay',
  'autopay-day',
  'sync',
  'ledger',
  'startup',
  'import',
  'back-office',
] as const;
export type ScenarioId = (typeof scenarioIds)[number];
export type DatabaseChoice = 'pglite' | 'postgres';

export interface BenchOptions {
  /** Seconds per measured run of the receipts scenario; the other scenarios derive theirs from it. */
  durationSeconds: number;
  runs: number;
  concurrency: number;
  only: ScenarioId[];
  databases: DatabaseChoice[];
  /** BENCH_DATABASE_URL: PostgreSQL scenarios are skipped without it. */
  databaseUrl: string | undefined;
  out: string;
  /** Due invoices in the autopay scenario's book on PostgreSQL (PGlite: at most 10,000). */
  autopayInvoices: number;
  /** Requested payments executed per run of the payments scenario. */
  payments: number;
  /** Due invoices of the autopay-day scenario (through the queue, PostgreSQL only). */
  autopayDayInvoices: number;
  /** The checkout whose `npm start` the startup scenario measures (default: this one). */
  startupRoot: string | undefined;
  /** Another checkout whose first start and restart run interleaved with this one's. */
  startupCompare: string | undefined;
  /** Seconds the startup scenario lets a started server idle before reading its memory. */
  startupIdleSeconds: number;
  /** Customers (each with a policy and two invoices) in the import scenario's files. */
  importCustomers: number;
  /** The back-office scenario's book: customers, each with a policy and five open invoices. */
  backOfficeCustomers: number;
}

export const usage = `npm run bench [-- options]

  --duration <s>      seconds per measured run of the receipts scenario (BENCH_DURATION, default 20);
                      eligibility and ledger runs take half of it, the pure function a quarter (≤ 5 s)
  --runs <n>          measured runs per figure, median reported (BENCH_RUNS, default 3)
  --concurrency <n>   concurrent clients for the HTTP scenarios and their baselines (BENCH_CONCURRENCY, default 16)
  --only <ids>        comma-separated: ${scenarioIds.join(', ')} (BENCH_ONLY, default all but import)
  --databases <list>  pglite,postgres (BENCH_DATABASES, default both; postgres needs BENCH_DATABASE_URL)
  --out <file>        where the JSON goes besides stdout (BENCH_OUT, default bench-results/latest.json)
  --autopay-invoices <n>  due invoices per autopay pass on PostgreSQL (BENCH_AUTOPAY_INVOICES, default 100000;
                      PGlite: at most 10000)
  --payments <n>      requested payments executed per run of the payments scenario (BENCH_PAYMENTS, default 2000;
                      PGlite: at most 500)
  --autopay-day-invoices <n>  due invoices of the autopay day through the job queue, 2 worker processes
                      (BENCH_AUTOPAY_DAY_INVOICES, default 100000; 1 worker runs a quarter of it; PostgreSQL only)
  --startup-root <dir>  the checkout whose \`npm start\` the startup scenario runs (BENCH_STARTUP_ROOT, default this
                      one; point it at a clone of an older commit, after \`npm install\` there, to compare)
  --startup-compare <dir>  another checkout (e.g. a clone of an older commit) whose first start and restart run
                      interleaved with this one's in the same runs (BENCH_STARTUP_COMPARE)
  --startup-idle <s>  seconds a started server idles before its memory is read (BENCH_STARTUP_IDLE, default 10)
  --import-customers <n>  customers (each with a policy and two open invoices) in the import scenario's CSV files
  --back-office-customers <n>  the back-office scenario's book (each customer: a policy, five invoices; default 100000)
                      (BENCH_IMPORT_CUSTOMERS, default 100000)
  --help

BENCH_DATABASE_URL=postgres://user@host:5432/db selects the PostgreSQL server (a bench_* schema is
created there and dropped at the end); without it the PostgreSQL scenarios are skipped.`;

function positiveNumber(name: string, text: string | undefined, fallback: number, integer: boolean): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, not "${text}"`);
  }
  return value;
}

function list<T extends string>(
  name: string,
  text: string | undefined,
  allowed: readonly T[],
  defaults: readonly T[] = allowed,
): T[] {
  if (text === undefined || text.trim() === '') return [...defaults];
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new Error(`${name}: unknown "${item}" (one of ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      runs: { type: 'string' },
      concurrency: { type: 'string' },
      only: { type: 'string' },
      databases: { type: 'string' },
      out: { type: 'string' },
      'autopay-invoices': { type: 'string' },
      payments: { type: 'string' },
      'autopay-day-invoices': { type: 'string' },
      'startup-root': { type: 'string' },
      'startup-idle': { type: 'string' },
      'startup-compare': { type: 'string' },
      'import-customers': { type: 'string' },
      'back-office-customers': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  return {
    durationSeconds: positiveNumber('--duration', values.duration ?? env.BENCH_DURATION, 20, false),
    runs: positiveNumber('--runs', values.runs ?? env.BENCH_RUNS, 3, true),
    concurrency: positiveNumber('--concurrency', values.concurrency ?? env.BENCH_CONCURRENCY, 16, true),
    // The import scenario writes its book row by row through the use cases (minutes for 100,000
    // customers), so the default suite leaves it out until it is set-based: ask for it with --only.
    only: list(
      '--only',
      values.only ?? env.BENCH_ONLY,
      scenarioIds,
      scenarioIds.filter((id) => id !== 'import' && id !== 'back-office'),
    ),
    databases: list('--databases', values.databases ?? env.BENCH_DATABASES, ['pglite', 'postgres'] as const),
    databaseUrl: env.BENCH_DATABASE_URL || undefined,
    out: values.out ?? env.BENCH_OUT ?? 'bench-results/latest.json',
    autopayInvoices: positiveNumber(
      '--autopay-invoices',
      values['autopay-invoices'] ?? env.BENCH_AUTOPAY_INVOICES,
      100_000,
      true,
    ),
    payments: positiveNumber('--payments', values.payments ?? env.BENCH_PAYMENTS, 2_000, true),
    autopayDayInvoices: positiveNumber(
      '--autopay-day-invoices',
      values['autopay-day-invoices'] ?? env.BENCH_AUTOPAY_DAY_INVOICES,
      100_000,
      true,
    ),
    startupRoot: values['startup-root'] ?? (env.BENCH_STARTUP_ROOT || undefined),
    startupCompare: values['startup-compare'] ?? (env.BENCH_STARTUP_COMPARE || undefined),
    startupIdleSeconds: positiveNumber('--startup-idle', values['startup-idle'] ?? env.BENCH_STARTUP_IDLE, 10, false),
    backOfficeCustomers: positiveNumber(
      '--back-office-customers',
      values['back-office-customers'] ?? env.BENCH_BACK_OFFICE_CUSTOMERS,
      100_000,
      true,
    ),
    importCustomers: positiveNumber(
      '--import-customers',
      values['import-customers'] ?? env.BENCH_IMPORT_CUSTOMERS,
      100_000,
      true,
    ),
  };
}

/** Warm-up before the measured runs: 10 % of a run, between 0.5 and 3 s. */
export function warmupSeconds(runSeconds: number): number {
  return Math.min(3, Math.max(0.5, runSeconds * 0.1));
}
