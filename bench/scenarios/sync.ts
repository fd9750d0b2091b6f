// Scenario 5: the daily sync of N accounts from the benefits double (a real HTTP server in this
// process, read through the generic REST connector), then the same sync again with no changes.
import { systemActor } from '../../src/services/actor.ts';
import { createAgency } from '../../src/services/agencies.ts';
import { configureConnector } from '../../src/services/sync-connectors.ts';
import { type DailySyncResult, runDailySync } from '../../src/services/sync-daily.ts';
import { BenefitsDouble } from '../../src/sync/doubles/benefits-double.ts';
import { benefitsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import type { BenchOptions } from '../options.ts';
import { log, type ScenarioResult } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

export const SYNC_ACCOUNTS_POSTGRES = 100_000;
export const SYNC_ACCOUNTS_PGLITE = 10_000;
const FIRST_RUN_TARGET_SECONDS = 60;
const NO_CHANGE_TARGET_SECONDS = 5;

export interface SyncBenchFigures {
  accounts: number;
  firstRun: { seconds: number; recordsPerSecond: number; created: number; pages: number };
  noChangeRun: { seconds: number; received: number; written: number };
  /** The whole day read again from the start (cursor reset): every record compared by hash, none written. */
  fullReread: { seconds: number; unchanged: number; written: number };
  peakRssMb: number;
}

/** Seeds `accounts` in the benefits double, runs the daily sync, then re-runs it; returns the figures. */
export async function measureSync(
  target: BenchTarget,
  accounts: number,
  slug = `bench-sync-${Date.now()}`,
): Promise<SyncBenchFigures> {
  const db = target.handle.db;
  const agency = await createAgency(db, { slug, name: `Bench ${slug}`, timeZone: 'America/Chicago' });
  const actor = systemActor(agency.id, 'bench');
  const benefits = new BenefitsDouble();
  await benefits.start();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    benefits.seed(accounts, (i) => ({
      accountName: `Bench Account ${i}`,
      accountType: i % 3 === 0 ? 'group' : 'individual',
      primaryContact: { email: `account${i}@bench.example`, phone: `555${String(i).padStart(7, '0')}` },
      address: { street1: `${i} Main St`, city: 'Springfield', state: 'IL', zip: String(60_000 + (i % 1000)) },
    }));
    await configureConnector(db, actor, 'benefits', {
      kind: 'rest',
      mapping: benefitsDoubleMapping(benefits.server.url),
    });
    const timed = async (): Promise<[number, DailySyncResult]> => {
      const started = performance.now();
      const result = await runDailySync(db, agency.id, 'benefits', {
        onPage: (r) => {
          if (r.pages % 20 === 0) log(`sync/${target.kind}: ${r.received}/${accounts} records`);
        },
      });
      if (result.status !== 'completed') throw new Error(`the sync failed: ${result.error}`);
      return [(performance.now() - started) / 1000, result];
    };
    const [firstSeconds, first] = await timed();
    const [againSeconds, again] = await timed();
    await db.deleteFrom('sync_cursors').where('agency_id', '=', agency.id).execute();
    const [rereadSeconds, reread] = await timed();
    return {
      accounts,
      firstRun: {
        seconds: round(firstSeconds),
        recordsPerSecond: Math.round(first.received / firstSeconds),
        created: first.created,
        pages: first.pages,
      },
      noChangeRun: {
        seconds: round(againSeconds),
        received: again.received,
        written: again.created + again.updated + again.linked,
      },
      fullReread: {
        seconds: round(rereadSeconds),
        unchanged: reread.unchanged,
        written: reread.created + reread.updated + reread.linked,
      },
      peakRssMb: Math.round(peak / 2 ** 20),
    };
  } finally {
    clearInterval(sampler);
    await benefits.stop();
  }
}

/** The shape of `databaseScenarios` in bench/run.ts (the options are not used: the run is one pass). */
export async function syncScenario(_options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const accounts = target.kind === 'postgres' ? SYNC_ACCOUNTS_POSTGRES : SYNC_ACCOUNTS_PGLITE;
  log(`sync/${target.kind}: ${accounts} accounts in the benefits double`);
  const figures = await measureSync(target, accounts);
  const met =
    figures.firstRun.created === accounts &&
    figures.noChangeRun.written === 0 &&
    figures.fullReread.written === 0 &&
    (target.kind !== 'postgres' ||
      (figures.firstRun.seconds < FIRST_RUN_TARGET_SECONDS && figures.noChangeRun.seconds < NO_CHANGE_TARGET_SECONDS));
  return {
    id: 'sync',
    issueScenario: 5,
    name: 'daily sync of 100,000 accounts, and a no-change re-run',
    status: 'ok',
    database: target.kind,
    databaseVersion: target.serverVersion,
    node: process.version,
    description:
      `daily sync of ${accounts} new accounts from the benefits test double over HTTP (generic REST connector, ` +
      'pages of 1,000, one transaction per page with its cursor), then the same sync again with nothing changed ' +
      '(from the cursor), then the whole day re-read from the start (compared by content hash, nothing written)',
    operations: figures.firstRun.created,
    peakRssMb: figures.peakRssMb,
    target: {
      description: `${SYNC_ACCOUNTS_POSTGRES} accounts in < ${FIRST_RUN_TARGET_SECONDS} s on PostgreSQL; no-change re-run < ${NO_CHANGE_TARGET_SECONDS} s and writes nothing`,
      met,
    },
    fixture: { accounts },
    checks: {
      created: figures.firstRun.created,
      noChangeReceived: figures.noChangeRun.received,
      noChangeWritten: figures.noChangeRun.written,
      fullRereadUnchanged: figures.fullReread.unchanged,
      fullRereadWritten: figures.fullReread.written,
    },
    diagnostics: {
      firstRunSeconds: figures.firstRun.seconds,
      recordsPerSecond: figures.firstRun.recordsPerSecond,
      pages: figures.firstRun.pages,
      noChangeRunSeconds: figures.noChangeRun.seconds,
      fullRereadSeconds: figures.fullReread.seconds,
    },
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
