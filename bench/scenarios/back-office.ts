// Issue 19.6: the back office at an agency's real size. A book of N customers (default 100,000),
// each with a contact's e-mail and phone, a policy and five open invoices (1,000,000 ledger lines
// at 100,000), brought in through the import (bench/processes/import-process.ts); then 8 staff
// users at once: customer search by name, number, e-mail, phone and policy number; the API calls
// of a customer's page; the AR aging report. Each against the same-run floor of an authenticated
// API call (GET /api/v1/banks) at the same concurrency.
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import type { ImportKind } from '../../src/imports/rules/import-kinds.ts';
import { analyzeDatabase } from '../../src/platform/db/statistics.ts';
import { createBenchAgency } from '../fixtures.ts';
import { runHttpLoad } from '../http-load.ts';
import { seededRandom } from '../load.ts';
import type { BenchOptions } from '../options.ts';
import { describeRun, log, type ScenarioResult, type Series, summarize } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

const execFileAsync = promisify(execFile);
const USERS = 8;
const INVOICES_PER_CUSTOMER = 5;
/**
 * Due dates from the agency's today, one in each aging bucket (90+, 61–90, 31–60, 1–30 days past
 * due, current): the report runs as of today, the day the import dated the book's entries (a date
 * before them would take every line back, a report of nothing).
 */
const DUE_OFFSETS_DAYS = [-100, -75, -45, -10, 20];
const dueDate = (today: string, days: number) =>
  new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const TARGET_P95_MS = { search: 100, 'customer page': 100, 'AR aging': 1000 } as const;
const LAST_NAMES = ['Ortega', 'Park', 'Smith', 'Nguyen', 'Okafor', 'Schmidt', 'Rossi', 'Kowalski', 'Haddad', 'Silva'];

async function writeCsv(path: string, header: string, rows: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  for (let i = 0; i < rows; i += 1) {
    if (!out.write(`${line(i)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await finished(out);
}

const name = (i: number) =>
  `${['Ana', 'Ben', 'Chloe', 'Dev', 'Eli'][i % 5]} ${LAST_NAMES[Math.floor(i / 5) % 10]} ${i}`;
const phone = (i: number) => `312${String(5_000_000 + i).padStart(7, '0')}`;

/** The customers page's and a customer page's requests, as the console sends them. */
function customerPagePaths(customerNumber: number): string[] {
  return [
    `/api/v1/customers/${customerNumber}`,
    `/api/v1/customers/${customerNumber}/account`,
    `/api/v1/customers/${customerNumber}/contacts`,
    `/api/v1/customers/${customerNumber}/policies`,
    `/api/v1/customers/${customerNumber}/receipts`,
    `/api/v1/customers/${customerNumber}/activities?limit=50`,
    `/api/v1/payments?customerNumber=${customerNumber}&limit=50`,
    `/api/v1/payment-requests?customerNumber=${customerNumber}&limit=50`,
  ];
}

export async function backOfficeScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const base = {
    id: 'back-office',
    issueScenario: 19,
    name: 'the back office at an agency’s real size: search, a customer page, AR aging',
    database: target.kind,
    node: process.version,
  } as const;
  if (target.kind !== 'postgres') {
    return { ...base, status: 'skipped', reason: 'measured on PostgreSQL only (an agency of this size runs on it)' };
  }
  const customers = options.backOfficeCustomers;
  const { db } = target.handle;
  const agency = await createBenchAgency(db, `bench-back-office-${Date.now()}`);
  const dueDates = DUE_OFFSETS_DAYS.map((days) => dueDate(agency.today, days));
  const dir = await mkdtemp(join(tmpdir(), 'policypay-bench-back-office-'));
  try {
    const files: [ImportKind, string][] = [
      ['customers', join(dir, 'customers.csv')],
      ['policies', join(dir, 'policies.csv')],
      ['invoices', join(dir, 'invoices.csv')],
    ];
    await writeCsv(
      files[0]![1],
      'externalId,name,email,phone',
      customers,
      (i) => `B${i},${name(i)},b${i}@bench.example,${phone(i)}`,
    );
    await writeCsv(
      files[1]![1],
      'policyNumber,customer,lineOfBusiness,effectiveDate,expirationDate,premium',
      customers,
      (i) => `BP${i},B${i},Homeowners,2026-01-01,2027-01-01,1000.00`,
    );
    await writeCsv(
      files[2]![1],
      'invoiceNumber,customer,policyNumber,dueDate,amount,openBalance',
      customers * INVOICES_PER_CUSTOMER,
      (i) => {
        const c = Math.floor(i / INVOICES_PER_CUSTOMER);
        return `${i + 1},B${c},BP${c},${dueDates[i % INVOICES_PER_CUSTOMER]},200.00,200.00`;
      },
    );
    log(
      `back-office/${target.kind}: importing ${customers} customers and ${customers * INVOICES_PER_CUSTOMER} invoices`,
    );
    const script = join(import.meta.dirname, '..', 'processes', 'import-process.ts');
    const argument = JSON.stringify({ ...target.postgres!, agencyId: agency.id, label: 'back-office', files });
    const imported = JSON.parse(
      (await execFileAsync(process.execPath, [script, argument], { maxBuffer: 1 << 20 })).stdout
        .trim()
        .split('\n')
        .at(-1)!,
    ) as { seconds: number };
    await analyzeDatabase(db);
    const { rows: book } = await sql<{ customers: string; lines: string }>`
      SELECT (SELECT count(*) FROM customers WHERE agency_id = ${agency.id}::uuid)::text AS customers,
             (SELECT count(*) FROM journal_lines WHERE agency_id = ${agency.id}::uuid)::text AS lines`.execute(db);
    const numbers = (
      await sql<{ n: number }>`SELECT customer_number AS n FROM customers WHERE agency_id = ${agency.id}::uuid
        ORDER BY customer_number`.execute(db)
    ).rows.map((r) => r.n);

    // Each customer i's number is the i-th (the import numbers them in file order).
    const random = seededRandom(19);
    const pick = () => Math.floor(random() * customers);
    const searches = Array.from({ length: 2000 }, (_, k) => {
      const i = pick();
      const term = [LAST_NAMES[Math.floor(i / 5) % 10]!, String(numbers[i]), `b${i}@bench.example`, phone(i), `BP${i}`][
        k % 5
      ]!;
      return `/api/v1/customers?search=${encodeURIComponent(term)}&limit=25`;
    });
    const pages = Array.from({ length: 300 }, () => customerPagePaths(numbers[pick()]!)).flat();
    const groups: [keyof typeof TARGET_P95_MS | 'floor', string[]][] = [
      ['floor', ['/api/v1/banks']],
      ['search', searches],
      ['customer page', pages],
      ['AR aging', ['/api/v1/reports/ar-aging']],
    ];
    const figures: Record<string, Series & { targetP95Ms?: number; met?: boolean }> = {};
    for (const [group, paths] of groups) {
      const results = [];
      for (let run = -1; run < options.runs; run += 1) {
        const result = await runHttpLoad({
          url: target.url,
          apiKey: agency.apiKey,
          concurrency: USERS,
          durationMs: (run < 0 ? Math.min(3, options.durationSeconds / 10) : options.durationSeconds) * 1000,
          maxOperations: 1_000_000,
          seed: 1_900 + run,
          plan: { kind: 'paths', paths },
        });
        log(
          describeRun(
            `back-office/${target.kind} ${group} ${run < 0 ? 'warm-up' : `run ${run + 1}/${options.runs}`}`,
            result,
          ),
        );
        if (run >= 0) results.push(result);
      }
      const series = summarize(results);
      if (group === 'floor') {
        figures[group] = series;
      } else {
        const p95 = series.latencyMs?.p95 ?? Number.POSITIVE_INFINITY;
        figures[group] = {
          ...series,
          targetP95Ms: TARGET_P95_MS[group],
          met: series.errors === 0 && p95 < TARGET_P95_MS[group],
        };
      }
    }
    const measured = Object.entries(figures).filter(([group]) => group !== 'floor');
    const met = customers >= 100_000 && measured.every(([, f]) => f.met);
    return {
      ...base,
      status: 'ok',
      databaseVersion: target.serverVersion,
      description:
        `${USERS} staff users at once (closed loop, API key), against a book of ${book[0]!.customers} customers and ` +
        `${book[0]!.lines} ledger lines: searches by last name, customer number, e-mail, phone and policy number; ` +
        "the eight GETs of a customer's page; the AR aging report as of today. Baseline (floor): GET /api/v1/banks, " +
        "an authenticated call that reads the agency's one bank",
      concurrency: USERS,
      runs: options.runs,
      secondsPerRun: options.durationSeconds,
      operations: measured.reduce((total, [, f]) => total + f.operations, 0),
      errors: measured.reduce((total, [, f]) => total + f.errors, 0),
      target: {
        description:
          'p95 with 8 users: search < 100 ms, a customer page’s API calls < 100 ms, AR aging < 1 s; a book of ' +
          '100,000 customers and 1,000,000 ledger lines',
        met,
      },
      fixture: {
        customers: Number(book[0]!.customers),
        ledgerLines: Number(book[0]!.lines),
        invoicesPerCustomer: INVOICES_PER_CUSTOMER,
        importSeconds: imported.seconds,
      },
      checks: { figures },
      summary: measured
        .map(([group, f]) => `${group} p95 ${f.latencyMs?.p95} ms (target ${f.targetP95Ms})`)
        .concat(`floor p95 ${figures.floor?.latencyMs?.p95} ms`)
        .join(', '),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
