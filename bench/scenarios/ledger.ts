// Scenario 6: the customer account statement (GET /api/v1/customers/{n}/account) for a customer
// with 10,000 ledger lines — latency, one client at a time, against the same figures as raw SQL.

import { analyzeDatabase } from '../../src/platform/db/statistics.ts';
import { baselineAccount } from '../baseline.ts';
import { createBenchAgency, seedLedgerCustomer } from '../fixtures.ts';
import { runHttpLoad } from '../http-load.ts';
import { runLoad } from '../load.ts';
import { type BenchOptions, warmupSeconds } from '../options.ts';
import { log, measurePaired, ratio, type ScenarioResult, summarize } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

/** 500 invoices × (2 billing lines + 18 receipts' AR lines) = 10,000 lines keyed to the customer. */
const INVOICES = 500;
const RECEIPTS_PER_INVOICE = 18;
const MAX_OPERATIONS_PER_RUN = 1_000_000;

export async function ledgerScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const { db } = target.handle;
  const label = `ledger/${target.kind}`;
  log(`${label}: seeding one customer with ${INVOICES} invoices and ${INVOICES * RECEIPTS_PER_INVOICE} receipts`);
  const agency = await createBenchAgency(db, 'bench-ledger');
  const customer = await seedLedgerCustomer(db, agency, INVOICES, RECEIPTS_PER_INVOICE);
  // Fresh statistics after the bulk load, as autovacuum would gather (empty tables left alone).
  await analyzeDatabase(db);
  const seconds = Math.max(1, options.durationSeconds / 2);
  const warmup = warmupSeconds(seconds);
  const durationMs = (isWarmup: boolean) => (isWarmup ? warmup : seconds) * 1000;

  const paired = await measurePaired({
    label,
    runs: options.runs,
    postgres: target.kind === 'postgres',
    app: (run, isWarmup) =>
      runHttpLoad({
        url: target.url,
        apiKey: agency.apiKey,
        concurrency: 1,
        durationMs: durationMs(isWarmup),
        maxOperations: MAX_OPERATIONS_PER_RUN,
        seed: 6_000 + run,
        plan: { kind: 'account', customerNumber: customer.customerNumber },
      }),
    baseline: (_run, isWarmup) =>
      runLoad({ concurrency: 1, durationMs: durationMs(isWarmup), maxOperations: MAX_OPERATIONS_PER_RUN }, () =>
        baselineAccount(target.raw, agency.id, customer.customerNumber),
      ),
  });
  const app = summarize(paired.app);
  const baseline = summarize(paired.baseline);
  return {
    id: 'ledger',
    issueScenario: 6,
    name: 'ledger: customer account statement',
    status: app.errors > 0 && app.operations === 0 ? 'failed' : 'ok',
    database: target.kind,
    databaseVersion: target.serverVersion,
    node: process.version,
    description:
      'GET /api/v1/customers/{n}/account (AR, On Account and every invoice with its balance, all derived from ' +
      'journal_lines) for one customer, one request at a time',
    concurrency: 1,
    poolSize: target.poolSize,
    runs: options.runs,
    secondsPerRun: seconds,
    warmupSeconds: warmup,
    operations: app.operations,
    errors: app.errors,
    opsPerSecond: app.opsPerSecond,
    latencyMs: app.latencyMs,
    peakRssMb: paired.peakRssMb,
    baseline: {
      description:
        'raw SQL through the same driver, one at a time: the customer by number, then AR / On Account sums and ' +
        'the invoices with balances grouped from journal_lines (the two run concurrently, as the service does)',
      ...baseline,
    },
    ratio: ratio(app, baseline),
    fixture: { ...customer },
    diagnostics: { cpu: paired.cpu },
    ...(app.firstError ? { firstError: app.firstError } : {}),
  };
}
