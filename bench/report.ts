// Result shapes, statistics over runs, and progress output (stderr; stdout carries only the JSON).
import { type CpuUsage, cpuSince, cpuSnapshot, meanUsage } from './cpu.ts';
import { Histogram, type LatencySummary, type LoadResult, latencySummary, RssSampler } from './load.ts';

interface OpsPerSecond {
  median: number;
  min: number;
  max: number;
  /** One figure per measured run, in run order. */
  runs: number[];
}

export interface Series {
  /** Operations completed over all measured runs (warm-up excluded). */
  operations: number;
  errors: number;
  opsPerSecond: OpsPerSecond;
  /** Over all measured runs' operations. */
  latencyMs: LatencySummary | null;
  firstError?: string;
}

interface Baseline extends Series {
  description: string;
}

export interface OpenLoopReport {
  description: string;
  /** Arrivals per second asked for. */
  offeredPerSecond: number;
  runs: number;
  secondsPerRun: number;
  /** Receipts posted in the warm-up run before the measured ones (counted in the database only). */
  warmupOperations: number;
  operations: number;
  errors: number;
  /** Completed per second, median over the runs (equals the offered rate when the server keeps up). */
  achievedPerSecond: OpsPerSecond;
  /** From each request's scheduled arrival, over all runs' requests. */
  latencyMs: LatencySummary | null;
  /** Each run's p99, in run order. */
  p99ByRun: number[];
  peakInFlight: number;
  firstError?: string;
}

export interface Ratio {
  /** policypay's median ops/s ÷ the baseline's. */
  opsPerSecond: number;
  /** policypay's latency ÷ the baseline's. */
  p50: number | null;
  p99: number | null;
}

export interface ScenarioResult {
  id: string;
  /** The scenario's number in issue 9. */
  issueScenario: number;
  name: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  database: 'pglite' | 'postgres' | 'none';
  databaseVersion?: string;
  node: string;
  description?: string;
  concurrency?: number;
  poolSize?: number;
  runs?: number;
  secondsPerRun?: number;
  warmupSeconds?: number;
  operations?: number;
  errors?: number;
  opsPerSecond?: OpsPerSecond;
  latencyMs?: LatencySummary | null;
  /** Peak resident set size of the bench process (server, driver and PGlite; not the HTTP clients) during the runs. */
  peakRssMb?: number;
  baseline?: Baseline | null;
  baselineNote?: string;
  ratio?: Ratio | null;
  /** More baselines measured in the same interleaved runs, by name, each with policypay's ratio to it. */
  otherBaselines?: Record<string, Baseline & { ratio: Ratio }>;
  /** policypay at a fixed arrival rate (open loop), after the closed-loop runs. */
  openLoop?: OpenLoopReport;
  target?: { description: string; met: boolean };
  fixture?: Record<string, unknown>;
  checks?: Record<string, unknown>;
  diagnostics?: Record<string, unknown>;
  /** One line for the end-of-run summary, for scenarios not measured in operations per second. */
  summary?: string;
  firstError?: string;
}

const round = (value: number, digits = 1) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(results: LoadResult[]): Series {
  const rates = results.map((r) => round(r.opsPerSecond));
  const merged = new Histogram();
  for (const r of results) merged.merge(r.histogram);
  const firstError = results.find((r) => r.firstError)?.firstError;
  return {
    operations: results.reduce((total, r) => total + r.operations, 0),
    errors: results.reduce((total, r) => total + r.errors, 0),
    opsPerSecond: { median: round(median(rates)), min: Math.min(...rates), max: Math.max(...rates), runs: rates },
    latencyMs: latencySummary(merged),
    ...(firstError ? { firstError } : {}),
  };
}

export function ratio(app: Series, baseline: Series): Ratio {
  const latency = (key: 'p50' | 'p99') =>
    app.latencyMs && baseline.latencyMs && baseline.latencyMs[key] > 0
      ? round(app.latencyMs[key] / baseline.latencyMs[key], 2)
      : null;
  return {
    opsPerSecond:
      baseline.opsPerSecond.median > 0 ? round(app.opsPerSecond.median / baseline.opsPerSecond.median, 3) : 0,
    p50: latency('p50'),
    p99: latency('p99'),
  };
}

export function log(message: string): void {
  const time = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${time}] ${message}\n`);
}

export function describeRun(label: string, result: LoadResult): string {
  const summary = latencySummary(result.histogram);
  const latency = summary ? `, p50 ${summary.p50} ms, p99 ${summary.p99} ms` : '';
  const errors = result.errors ? `, ${result.errors} errors (${result.firstError})` : '';
  return `${label}: ${result.operations} ops in ${round(result.elapsedMs / 1000, 2)} s = ${round(result.opsPerSecond)} ops/s${latency}${errors}`;
}

export interface PairedRuns {
  app: LoadResult[];
  baseline: LoadResult[];
  /** Each further baseline's measured runs, by name. */
  others: Record<string, LoadResult[]>;
  /** Operations policypay completed in its warm-up (they count in the database, not in the figures). */
  appWarmupOperations: number;
  peakRssMb: number;
  /** Mean CPU use over the measured runs (see cpu.ts). */
  cpu: { policypay: CpuUsage | null; baseline: CpuUsage | null; others?: Record<string, CpuUsage | null> };
}

/**
 * Warms all up, then runs policypay and the baselines alternately (A B C, C B A, A B C …) so that a
 * noisy neighbour or a growing table weighs on each alike.
 */
export async function measurePaired(options: {
  label: string;
  runs: number;
  app: (run: number, warmup: boolean) => Promise<LoadResult>;
  baseline: ((run: number, warmup: boolean) => Promise<LoadResult>) | null;
  /** Further baselines, by name, run in the same rotation after the first. */
  others?: Record<string, (run: number, warmup: boolean) => Promise<LoadResult>>;
  /** Also count the local PostgreSQL server's CPU. */
  postgres: boolean;
  onAppRun?: (running: boolean) => void;
  onBaselineRun?: (running: boolean) => void;
}): Promise<PairedRuns> {
  const rss = new RssSampler();
  const appResults: LoadResult[] = [];
  const baselineResults: LoadResult[] = [];
  let appWarmupOperations = 0;
  const appCpu: CpuUsage[] = [];
  const baselineCpu: CpuUsage[] = [];
  const runApp = async (run: number, warmup: boolean) => {
    if (!warmup) options.onAppRun?.(true);
    const before = cpuSnapshot(options.postgres);
    const result = await options.app(run, warmup);
    if (!warmup) appCpu.push(cpuSince(before, options.postgres));
    if (!warmup) options.onAppRun?.(false);
    log(describeRun(`${options.label} policypay ${warmup ? 'warm-up' : `run ${run + 1}/${options.runs}`}`, result));
    if (warmup) appWarmupOperations += result.operations;
    else appResults.push(result);
  };
  const runBaseline = async (run: number, warmup: boolean) => {
    if (!options.baseline) return;
    if (!warmup) options.onBaselineRun?.(true);
    const before = cpuSnapshot(options.postgres);
    const result = await options.baseline(run, warmup);
    if (!warmup) baselineCpu.push(cpuSince(before, options.postgres));
    if (!warmup) options.onBaselineRun?.(false);
    log(describeRun(`${options.label} baseline ${warmup ? 'warm-up' : `run ${run + 1}/${options.runs}`}`, result));
    if (!warmup) baselineResults.push(result);
  };
  const others = Object.entries(options.others ?? {});
  const otherResults: Record<string, LoadResult[]> = Object.fromEntries(others.map(([name]) => [name, []]));
  const otherCpu: Record<string, CpuUsage[]> = Object.fromEntries(others.map(([name]) => [name, []]));
  const runOthers = (run: number, warmup: boolean) =>
    others.map(([name, measure]) => async () => {
      const before = cpuSnapshot(options.postgres);
      const result = await measure(run, warmup);
      log(describeRun(`${options.label} ${name} ${warmup ? 'warm-up' : `run ${run + 1}/${options.runs}`}`, result));
      if (warmup) return;
      otherCpu[name]?.push(cpuSince(before, options.postgres));
      otherResults[name]?.push(result);
    });
  rss.start();
  const sequence = (run: number, warmup: boolean) => [
    () => runApp(run, warmup),
    () => runBaseline(run, warmup),
    ...runOthers(run, warmup),
  ];
  for (const step of sequence(-1, true)) await step();
  for (let run = 0; run < options.runs; run += 1) {
    const steps = sequence(run, false);
    if (run % 2 === 1) steps.reverse();
    for (const step of steps) await step();
  }
  const peak = rss.stop();
  return {
    app: appResults,
    baseline: baselineResults,
    others: otherResults,
    appWarmupOperations,
    peakRssMb: round(peak / 1024 / 1024),
    cpu: {
      policypay: meanUsage(appCpu),
      baseline: meanUsage(baselineCpu),
      ...(others.length > 0
        ? { others: Object.fromEntries(others.map(([name]) => [name, meanUsage(otherCpu[name] ?? [])])) }
        : {}),
    },
  };
}
