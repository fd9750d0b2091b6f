// Scenario 5: the daily sync of N accounts from the benefits double (a real HTTP server in this
// process, read through the generic REST connector), then the same sync again with no changes.
import { randomBytes } from 'node:crypto';
import { createAgency } from '../../src/agency/agencies.ts';
import { configureKeyring, Keyring, keyringFromEnv } from '../../src/agency/secrets/secret-box.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import { configureOutboundPolicy, outboundPolicy } from '../../src/platform/outbound.ts';
import { configureConnector } from '../../src/sync/connectors.ts';
import { type DailySyncResult, runDailySync } from '../../src/sync/daily.ts';
import { BENEFITS_DOUBLE_TOKEN, BenefitsDouble } from '../../src/sync/doubles/benefits-double.ts';
import { benefitsDoubleMapping } from '../../src/sync/doubles/mappings.ts';
import { Histogram, type LoadResult } from '../load.ts';
import type { BenchOptions } from '../options.ts';
import { log, ratio, type ScenarioResult, summarize } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

const SYNC_ACCOUNTS_POSTGRES = 100_000;
const SYNC_ACCOUNTS_PGLITE = 10_000;
const FIRST_RUN_TARGET_SECONDS = 60;
const NO_CHANGE_TARGET_SECONDS = 5;

interface SyncBenchFigures {
  accounts: number;
  /** `contacts`: local contacts the first run made (each account's primary contact, with its link). */
  firstRun: { seconds: number; recordsPerSecond: number; created: number; contacts: number; pages: number };
  noChangeRun: { seconds: number; received: number; written: number };
  /** The whole day read again from the start (cursor reset): every record compared by hash, none written. */
  fullReread: { seconds: number; unchanged: number; written: number };
  peakRssMb: number;
}

/** Seeds `accounts` in the benefits double, runs the daily sync, then re-runs it; returns the figures. */
async function measureSync(
  target: BenchTarget,
  accounts: number,
  slug = `bench-sync-${Date.now()}`,
): Promise<SyncBenchFigures> {
  const db = target.handle.db;
  // The double is on loopback in this process, and the bench's connector secret needs a key.
  configureOutboundPolicy({ ...outboundPolicy(), allowPrivate: true });
  configureKeyring(keyringFromEnv(process.env) ?? new Keyring([{ id: 'bench', key: randomBytes(32) }]));
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
    const contacts = await db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('agency_id', '=', agency.id)
      .executeTakeFirstOrThrow();
    const [againSeconds, again] = await timed();
    await db.deleteFrom('sync_cursors').where('agency_id', '=', agency.id).execute();
    const [rereadSeconds, reread] = await timed();
    return {
      accounts,
      firstRun: {
        seconds: round(firstSeconds),
        recordsPerSecond: Math.round(first.received / firstSeconds),
        created: first.created,
        contacts: Number(contacts.n),
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

/**
 * `options.runs` syncs (each of a fresh agency and a fresh double), alternating with the baseline:
 * the same pages fetched over HTTP by plain `fetch`, each page's customers and cross-reference rows
 * inserted with raw SQL in one transaction with the cursor — policypay's writes without its mapping,
 * matching, rules and hashing.
 */
export async function syncScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const accounts = target.kind === 'postgres' ? SYNC_ACCOUNTS_POSTGRES : SYNC_ACCOUNTS_PGLITE;
  log(`sync/${target.kind}: ${accounts} accounts in the benefits double, ${options.runs} runs`);
  const runs: SyncBenchFigures[] = [];
  const baseline: LoadResult[] = [];
  for (let run = 0; run < options.runs; run += 1) {
    const ours = async () => {
      runs.push(await measureSync(target, accounts));
      const last = runs.at(-1)!;
      log(
        `sync/${target.kind} policypay run ${run + 1}/${options.runs}: ${last.firstRun.seconds} s ` +
          `(${last.firstRun.recordsPerSecond} records/s), no-change re-run ${last.noChangeRun.seconds} s`,
      );
    };
    const raw = async () => {
      baseline.push(await baselineSync(target, accounts));
      log(
        `sync/${target.kind} baseline run ${run + 1}/${options.runs}: ${Math.round(baseline.at(-1)!.opsPerSecond)} records/s`,
      );
    };
    if (run % 2 === 0) {
      await ours();
      await raw();
    } else {
      await raw();
      await ours();
    }
  }
  const app = summarize(
    runs.map((figures) => ({
      operations: figures.firstRun.created,
      errors: 0,
      elapsedMs: figures.firstRun.seconds * 1000,
      opsPerSecond: figures.firstRun.created / figures.firstRun.seconds,
      histogram: new Histogram(),
    })),
  );
  const rawSeries = summarize(baseline);
  const medianOf = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const firstSeconds = medianOf(runs.map((r) => r.firstRun.seconds));
  const noChangeSeconds = medianOf(runs.map((r) => r.noChangeRun.seconds));
  const met =
    runs.every(
      (r) =>
        r.firstRun.created === accounts &&
        r.firstRun.contacts === accounts &&
        r.noChangeRun.written === 0 &&
        r.fullReread.written === 0,
    ) &&
    (target.kind !== 'postgres' ||
      (firstSeconds < FIRST_RUN_TARGET_SECONDS && noChangeSeconds < NO_CHANGE_TARGET_SECONDS));
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
      'pages of 1,000, one transaction per page with its cursor; each account brings its primary contact), then the same sync again with nothing changed ' +
      '(from the cursor), then the whole day re-read from the start (compared by content hash, nothing written); ' +
      'ops = accounts created by the first sync',
    runs: options.runs,
    operations: app.operations,
    errors: 0,
    opsPerSecond: app.opsPerSecond,
    latencyMs: null,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    baseline: {
      description:
        'the same pages fetched with plain fetch from an identical double; per page one raw-SQL transaction ' +
        'inserting the customers and their cross-reference rows and saving the cursor',
      ...rawSeries,
    },
    ratio: ratio(app, rawSeries),
    target: {
      description: `${SYNC_ACCOUNTS_POSTGRES} accounts in < ${FIRST_RUN_TARGET_SECONDS} s on PostgreSQL; no-change re-run < ${NO_CHANGE_TARGET_SECONDS} s and writes nothing (medians)`,
      met,
    },
    fixture: { accounts },
    checks: {
      firstRunSeconds: runs.map((r) => r.firstRun.seconds),
      created: runs.map((r) => r.firstRun.created),
      contactsCreated: runs.map((r) => r.firstRun.contacts),
      noChangeRunSeconds: runs.map((r) => r.noChangeRun.seconds),
      noChangeReceived: runs.map((r) => r.noChangeRun.received),
      noChangeWritten: runs.map((r) => r.noChangeRun.written),
      fullRereadSeconds: runs.map((r) => r.fullReread.seconds),
      fullRereadUnchanged: runs.map((r) => r.fullReread.unchanged),
      fullRereadWritten: runs.map((r) => r.fullReread.written),
    },
  };
}

async function baselineSync(target: BenchTarget, accounts: number): Promise<LoadResult> {
  const agency = await createAgency(target.handle.db, {
    slug: `bench-sync-raw-${Date.now()}`,
    name: 'Bench sync baseline',
    timeZone: 'America/Chicago',
  });
  const benefits = new BenefitsDouble();
  await benefits.start();
  try {
    benefits.seed(accounts, (i) => ({ accountName: `Bench Account ${i}`, accountType: 'individual' }));
    const started = performance.now();
    let after = 0;
    let created = 0;
    let nextNumber = 1;
    for (;;) {
      const response = await fetch(`${benefits.server.url}/v2/accounts/changes?after=${after}&pageSize=1000`, {
        headers: { authorization: `Bearer ${BENEFITS_DOUBLE_TOKEN}` },
      });
      const page = (await response.json()) as {
        results: { accountId: string; accountName: string; revision: number }[];
        paging: { next: number | null };
      };
      if (page.results.length === 0) break;
      const numbers = page.results.map(() => nextNumber++);
      await target.raw.transaction(async (query) => {
        const ids = await query<{ id: string }>(
          `INSERT INTO customers (agency_id, customer_number, type, name)
           SELECT $1, n, 'individual', name FROM unnest($2::int[], $3::text[]) AS t (n, name) RETURNING id`,
          [agency.id, numbers, page.results.map((r) => r.accountName)],
        );
        await query(
          `INSERT INTO sync_links (agency_id, entity, local_id, system, external_id, external_version)
           SELECT $1, 'customer', l, 'benefits', e, v FROM unnest($2::uuid[], $3::text[], $4::int8[]) AS t (l, e, v)`,
          [agency.id, ids.map((r) => r.id), page.results.map((r) => r.accountId), page.results.map((r) => r.revision)],
        );
        await query(
          `INSERT INTO sync_cursors (agency_id, system, entity, cursor) VALUES ($1, 'benefits', 'customer', $2)
           ON CONFLICT (agency_id, system, entity) DO UPDATE SET cursor = excluded.cursor, updated_at = now()`,
          [agency.id, String(page.paging.next)],
        );
      });
      created += page.results.length;
      after = page.paging.next ?? after;
      if (page.results.length < 1000) break;
    }
    const elapsedMs = performance.now() - started;
    return {
      operations: created,
      errors: 0,
      elapsedMs,
      opsPerSecond: created / (elapsedMs / 1000),
      histogram: new Histogram(),
    };
  } finally {
    await benefits.stop();
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
