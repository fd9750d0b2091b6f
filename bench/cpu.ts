// Where the CPU went during a run: the bench process (the HTTP server and the raw driver; the HTTP
// clients run in a separate process), how busy its event loop was, the whole machine, and the
// local PostgreSQL server's processes (Linux /proc; absent elsewhere or when the server is remote).
import { readdirSync, readFileSync } from 'node:fs';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/** /proc reports process times in USER_HZ ticks, 100 per second on Linux. */
const TICKS_PER_SECOND = 100;

interface Snapshot {
  wallMs: number;
  process: NodeJS.CpuUsage;
  eventLoop: EventLoopUtilization;
  machine: { busy: number; total: number } | null;
  postgresTicks: Map<number, number> | null;
}

export interface CpuUsage {
  /** CPU seconds of the bench process (server, driver, PGlite; not the HTTP clients) per wall second. */
  benchProcessCores: number;
  /** Share of the wall time the main thread's event loop (the HTTP server, the raw driver) was busy. */
  mainEventLoopUtilization: number;
  /** Share of all the machine's cores that were busy (everything, other tenants included). */
  machineBusy: number | null;
  /**
   * CPU seconds of the local PostgreSQL server's processes per wall second: all of them, so other
   * clients of the same server count too (processes that exit mid-run are missed).
   */
  postgresCores: number | null;
}

function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** utime + stime of every process named `postgres`, by pid. */
function postgresTicks(): Map<number, number> | null {
  try {
    const ticks = new Map<number, number>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      const fields = stat.slice(close + 2).split(' ');
      // After the command: state is field 3 of proc_pid_stat(5), utime 14 and stime 15.
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    }
    return ticks.size > 0 ? ticks : null;
  } catch {
    return null;
  }
}

/** CPU ticks spent between two snapshots by processes alive at the second (new ones counted whole). */
function ticksBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ticks] of after) total += Math.max(0, ticks - (before.get(pid) ?? 0));
  return total;
}

export function cpuSnapshot(withPostgres: boolean): Snapshot {
  return {
    wallMs: performance.now(),
    process: process.cpuUsage(),
    eventLoop: performance.eventLoopUtilization(),
    machine: machineTicks(),
    postgresTicks: withPostgres ? postgresTicks() : null,
  };
}

export function cpuSince(before: Snapshot, withPostgres: boolean): CpuUsage {
  const after = cpuSnapshot(withPostgres);
  const wallSeconds = Math.max(1e-6, (after.wallMs - before.wallMs) / 1000);
  const processMicros = after.process.user - before.process.user + (after.process.system - before.process.system);
  const eventLoop = performance.eventLoopUtilization(after.eventLoop, before.eventLoop);
  const machine =
    before.machine && after.machine && after.machine.total > before.machine.total
      ? (after.machine.busy - before.machine.busy) / (after.machine.total - before.machine.total)
      : null;
  const postgres =
    before.postgresTicks !== null && after.postgresTicks !== null
      ? ticksBetween(before.postgresTicks, after.postgresTicks) / TICKS_PER_SECOND / wallSeconds
      : null;
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    benchProcessCores: round(processMicros / 1e6 / wallSeconds),
    mainEventLoopUtilization: round(eventLoop.utilization),
    machineBusy: machine === null ? null : round(machine),
    postgresCores: postgres === null ? null : round(postgres),
  };
}

/** The mean of each figure over runs. */
export function meanUsage(usages: CpuUsage[]): CpuUsage | null {
  if (usages.length === 0) return null;
  const mean = (pick: (u: CpuUsage) => number | null) => {
    const values = usages.map(pick).filter((v): v is number => v !== null);
    return values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : null;
  };
  return {
    benchProcessCores: mean((u) => u.benchProcessCores) ?? 0,
    mainEventLoopUtilization: mean((u) => u.mainEventLoopUtilization) ?? 0,
    machineBusy: mean((u) => u.machineBusy),
    postgresCores: mean((u) => u.postgresCores),
  };
}
