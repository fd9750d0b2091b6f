// Scenario 2: payment eligibility decisions per second — the pure function, and the endpoint over
// HTTP against the same reads as raw SQL.

import { paymentChannels } from '../../src/eligibility/rules/channels.ts';
import {
  decidePaymentEligibility,
  type EligibilityInput,
  type EligibilityPolicy,
  payerActors,
} from '../../src/eligibility/rules/eligibility.ts';
import { defaultPaymentSettings, type PaymentSettings } from '../../src/eligibility/rules/payment-settings.ts';
import { addDays } from '../../src/kernel/calendar.ts';
import { analyzeDatabase } from '../../src/platform/db/statistics.ts';
import { baselineEligibility } from '../baseline.ts';
import { createBenchAgency, seedEligibilityPolicies } from '../fixtures.ts';
import { runHttpLoad } from '../http-load.ts';
import { type LoadResult, RssSampler, runLoad, seededRandom } from '../load.ts';
import { type BenchOptions, warmupSeconds } from '../options.ts';
import { log, measurePaired, median, ratio, type ScenarioResult, summarize } from '../report.ts';
import type { BenchTarget } from '../targets.ts';

const POLICIES = 1_000;
const MAX_OPERATIONS_PER_RUN = 5_000_000;
/** Decisions between two looks at the clock. */
const BATCH = 10_000;
const MAX_BATCHES = 100_000;

/** Every status × channel × payer under three agencies' settings, with and without an amount. */
function decisionInputs(): EligibilityInput[] {
  const today = '2026-11-21';
  const policies: EligibilityPolicy[] = [
    { status: 'active', cancellationReason: null, cancellationEffectiveDate: null, tags: [] },
    { status: 'submitted', cancellationReason: null, cancellationEffectiveDate: null, tags: [] },
    { status: 'unsubmitted', cancellationReason: null, cancellationEffectiveDate: null, tags: [] },
    { status: 'rejected', cancellationReason: null, cancellationEffectiveDate: null, tags: [] },
    { status: 'cancellation_pending', cancellationReason: 'non_pay', cancellationEffectiveDate: null, tags: [] },
    {
      status: 'cancellation_pending',
      cancellationReason: 'non_pay',
      cancellationEffectiveDate: null,
      tags: ['poor_payment_history'],
    },
    { status: 'cancellation_pending', cancellationReason: 'underwriting', cancellationEffectiveDate: null, tags: [] },
    { status: 'canceled', cancellationReason: 'non_pay', cancellationEffectiveDate: addDays(today, -10), tags: [] },
    { status: 'expired', cancellationReason: null, cancellationEffectiveDate: null, tags: [] },
  ];
  const settings: PaymentSettings[] = [
    { ...defaultPaymentSettings },
    { ...defaultPaymentSettings, allowPaySubmittedPolicies: true, daysToAllowCanceledPolicyPayment: 30 },
    {
      ...defaultPaymentSettings,
      disallowCancellationPendingNonPay: true,
      disallowCancellationPendingUnderwriting: true,
      enforceMinMaxAgentSweep: true,
      enforceMinMaxSecureCheckout: true,
    },
  ];
  const inputs: EligibilityInput[] = [];
  for (const policy of policies) {
    for (const channel of paymentChannels) {
      for (const actor of payerActors) {
        for (const setting of settings) {
          for (const amount of [undefined, 5_000n, 250_000n]) {
            inputs.push({
              policy,
              channel,
              actor,
              settings: setting,
              today,
              amount,
              currentlyDue: 60_000n,
              payoff: 120_000n,
            });
          }
        }
      }
    }
  }
  return inputs;
}

/** The pure function in a tight loop: no I/O, so no baseline applies. */
export function eligibilityPureScenario(options: BenchOptions): ScenarioResult {
  const seconds = Math.max(1, Math.min(5, options.durationSeconds / 4));
  const inputs = decisionInputs();
  const rss = new RssSampler();
  rss.start();
  let allowed = 0;
  const runOnce = (ms: number): { operations: number; elapsedMs: number } => {
    const started = performance.now();
    const deadline = started + ms;
    let operations = 0;
    for (let batch = 0; batch < MAX_BATCHES && performance.now() < deadline; batch += 1) {
      for (let i = 0; i < BATCH; i += 1) {
        if (decidePaymentEligibility(inputs[(operations + i) % inputs.length]!).allowed) allowed += 1;
      }
      operations += BATCH;
    }
    return { operations, elapsedMs: performance.now() - started };
  };
  runOnce(warmupSeconds(seconds) * 1000);
  const rates: number[] = [];
  let operations = 0;
  for (let run = 0; run < options.runs; run += 1) {
    const result = runOnce(seconds * 1000);
    const rate = Math.round(result.operations / (result.elapsedMs / 1000));
    rates.push(rate);
    operations += result.operations;
    log(`eligibility/pure run ${run + 1}/${options.runs}: ${result.operations} decisions = ${rate}/s`);
  }
  const peak = rss.stop();
  const medianRate = median(rates);
  return {
    id: 'eligibility-pure',
    issueScenario: 2,
    name: 'eligibility decisions (pure function)',
    status: 'ok',
    database: 'none',
    node: process.version,
    description: `decidePaymentEligibility over ${inputs.length} inputs (every status × channel × payer × 3 settings × 3 amounts), one thread`,
    runs: options.runs,
    secondsPerRun: seconds,
    operations,
    opsPerSecond: { median: medianRate, min: Math.min(...rates), max: Math.max(...rates), runs: rates },
    latencyMs: null,
    diagnostics: { meanNanosecondsPerDecision: Math.round((1e9 / medianRate) * 10) / 10, allowedDecisions: allowed },
    peakRssMb: Math.round((peak / 1024 / 1024) * 10) / 10,
    baseline: null,
    baselineNote: 'a pure function: no database round trip to compare with',
    ratio: null,
  };
}

export async function eligibilityEndpointScenario(options: BenchOptions, target: BenchTarget): Promise<ScenarioResult> {
  const { db } = target.handle;
  const label = `eligibility/${target.kind}`;
  log(`${label}: seeding ${POLICIES} policies with 2 invoices each`);
  const agency = await createBenchAgency(db, 'bench-eligibility');
  const prefix = await seedEligibilityPolicies(db, agency, POLICIES);
  // Fresh statistics after the bulk load, as autovacuum would gather (empty tables left alone).
  await analyzeDatabase(db);
  const seconds = Math.max(1, options.durationSeconds / 2);
  const warmup = warmupSeconds(seconds);
  const durationMs = (isWarmup: boolean) => (isWarmup ? warmup : seconds) * 1000;

  const paired = await measurePaired({
    label,
    runs: options.runs,
    postgres: target.kind === 'postgres',
    app: (run, isWarmup): Promise<LoadResult> =>
      runHttpLoad({
        url: target.url,
        apiKey: agency.apiKey,
        concurrency: options.concurrency,
        durationMs: durationMs(isWarmup),
        maxOperations: MAX_OPERATIONS_PER_RUN,
        seed: 2_000 + run,
        plan: { kind: 'eligibility', policyPrefix: prefix, policies: POLICIES },
      }),
    baseline: (run, isWarmup) => {
      const random = seededRandom(2_000 + run);
      return runLoad(
        { concurrency: options.concurrency, durationMs: durationMs(isWarmup), maxOperations: MAX_OPERATIONS_PER_RUN },
        () => baselineEligibility(target.raw, agency.id, `${prefix}${1 + Math.floor(random() * POLICIES)}`),
      );
    },
  });
  const app = summarize(paired.app);
  const baseline = summarize(paired.baseline);
  return {
    id: 'eligibility-endpoint',
    issueScenario: 2,
    name: 'eligibility decisions via the endpoint',
    status: app.errors > 0 && app.operations === 0 ? 'failed' : 'ok',
    database: target.kind,
    databaseVersion: target.serverVersion,
    node: process.version,
    description: `GET /api/v1/policies/{n}/payment-eligibility?channel=secure_checkout&actor=external over ${POLICIES} policies (7 in 10 active, the rest pending cancellation, canceled or expired)`,
    concurrency: options.concurrency,
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
        'raw SQL through the same driver, same concurrency, one transaction: the policy, the agency (time zone, ' +
        'settings), the policy’s invoices with balances summed from journal_lines',
      ...baseline,
    },
    ratio: ratio(app, baseline),
    fixture: { policies: POLICIES, invoicesPerPolicy: 2 },
    diagnostics: { cpu: paired.cpu },
    ...(app.firstError ? { firstError: app.firstError } : {}),
  };
}
