// A small closed-loop load driver: N clients, each issuing one operation after another until the
// deadline or the operation budget runs out. Latencies go into a log-bucketed histogram (1 %
// resolution, fixed memory) so percentiles stay exact enough however long a run is.

/** Bucket width: each bucket is 1 % wider than the previous one. */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** 1 µs … ~ 10 minutes. */
const BUCKETS = 2_100;

export interface HistogramJson {
  counts: number[];
  count: number;
  sumMicros: number;
  maxMicros: number;
  minMicros: number;
}

export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sumMicros = 0;
  maxMicros = 0;
  minMicros = Number.POSITIVE_INFINITY;

  record(micros: number): void {
    const value = Math.max(1, micros);
    const index = Math.min(BUCKETS - 1, Math.ceil(Math.log(value) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.count += 1;
    this.sumMicros += micros;
    if (micros > this.maxMicros) this.maxMicros = micros;
    if (micros < this.minMicros) this.minMicros = micros;
  }

  merge(other: Histogram): this {
    for (let i = 0; i < BUCKETS; i += 1) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.count += other.count;
    this.sumMicros += other.sumMicros;
    this.maxMicros = Math.max(this.maxMicros, other.maxMicros);
    this.minMicros = Math.min(this.minMicros, other.minMicros);
    return this;
  }

  /** The latency below which `p` (0–100) per cent of the operations completed, in µs. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i += 1) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(GROWTH ** i, this.maxMicros);
    }
    return this.maxMicros;
  }

  toJSON(): HistogramJson {
    return {
      counts: Array.from(this.counts),
      count: this.count,
      sumMicros: this.sumMicros,
      maxMicros: this.maxMicros,
      minMicros: this.minMicros,
    };
  }

  static fromJSON(json: HistogramJson): Histogram {
    const histogram = new Histogram();
    json.counts.forEach((value, index) => {
      if (index < BUCKETS) histogram.counts[index] = value;
    });
    histogram.count = json.count;
    histogram.sumMicros = json.sumMicros;
    histogram.maxMicros = json.maxMicros;
    histogram.minMicros = json.minMicros;
    return histogram;
  }
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Milliseconds, three decimals. */
export function latencySummary(histogram: Histogram): LatencySummary | null {
  if (histogram.count === 0) return null;
  const ms = (micros: number) => Math.round(micros) / 1000;
  return {
    p50: ms(histogram.percentile(50)),
    p90: ms(histogram.percentile(90)),
    p95: ms(histogram.percentile(95)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.maxMicros),
    mean: ms(histogram.sumMicros / histogram.count),
  };
}

/** One operation of one client. Resolves when done; throws (or rejects) when it failed. */
export type Operation = (client: number, sequence: number) => Promise<void>;

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** A hard cap on operations, whatever the duration. */
  maxOperations: number;
  /** Stop early once this many operations have failed (something is broken, not slow). */
  maxErrors?: number;
}

export interface LoadResult {
  operations: number;
  errors: number;
  elapsedMs: number;
  opsPerSecond: number;
  histogram: Histogram;
  firstError?: string;
}

export async function runLoad(options: LoadOptions, operation: Operation): Promise<LoadResult> {
  const histogram = new Histogram();
  const maxErrors = options.maxErrors ?? 100;
  let issued = 0;
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.durationMs;

  async function client(index: number): Promise<void> {
    while (performance.now() < deadline && issued < options.maxOperations && errors < maxErrors) {
      const sequence = issued;
      issued += 1;
      const t0 = performance.now();
      try {
        await operation(index, sequence);
        histogram.record((performance.now() - t0) * 1000);
        operations += 1;
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  }

  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => client(index)));
  const elapsedMs = performance.now() - started;
  return {
    operations,
    errors,
    elapsedMs,
    opsPerSecond: operations / (elapsedMs / 1000),
    histogram,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Samples the process's resident set size; `peak` is the largest seen since `start`. */
export class RssSampler {
  #timer: NodeJS.Timeout | undefined;
  peak = 0;

  start(intervalMs = 50): void {
    this.stop();
    this.peak = process.memoryUsage.rss();
    this.#timer = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.peak) this.peak = rss;
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): number {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
    return this.peak;
  }
}

/** A deterministic pseudo-random sequence (mulberry32), so runs issue comparable requests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
