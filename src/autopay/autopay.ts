import { randomUUID } from 'node:crypto';
import { getAgency } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { decidePaymentEligibility, type EligibilityDecision } from '../eligibility/rules/eligibility.ts';
import type { PaymentSettings } from '../eligibility/rules/payment-settings.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import type { Cents } from '../kernel/money.ts';
import type { Db } from '../platform/db/transaction.ts';
import { type JobQueue, noJobQueue } from '../platform/jobs/job-queue.ts';
import { firePage, newPassCache, type PageStep } from './batch.ts';
import {
  type AutopaySkip,
  countDueInvoices,
  type DueInvoice,
  dueInvoicePage,
  type PageCursor,
  policyOpenBalances,
  recordAutopaySkips,
  reopenFirings,
} from './candidates.ts';
import type { FiringContext, FiringResult } from './firing.ts';
import { agencyAutopayPlugin } from './plugin-setting.ts';
import { defaultAutopayPlugin } from './plugins/default-plugin.ts';
import {
  type AutopayPlugin,
  type AutopayRunFigures,
  autopaySkipReason,
  emptyRunFigures,
  isFinalSkip,
  skipKey,
  skipMessages,
} from './rules/autopay.ts';
import {
  type AutopayRunTrigger,
  type AutopayRunView,
  closeDeadRuns,
  discardAutopayRun,
  holdAutopayRun,
  saveAutopayRun,
  startAutopayRun,
} from './runs.ts';

export interface AutopayPassOptions {
  /** The pass's clock (tests and `--now` move it); default the real time. */
  now?: Date | undefined;
  trigger?: AutopayRunTrigger | undefined;
  plugin?: AutopayPlugin | undefined;
  /** Where created payments are queued for execution; without it the payment sweep finds them. */
  jobs?: JobQueue | undefined;
  /** Due invoices read per page (memory is one page). */
  pageSize?: number | undefined;
  /** Invoices decided and fired at once within a page (1 on PGlite, which is one session anyway). */
  concurrency?: number | undefined;
  pluginTimeoutMs?: number | undefined;
  onProgress?: ((progress: { examined: number; total: number; figures: AutopayRunFigures }) => void) | undefined;
  /**
   * Called as each page passes a step: its claims committed, its plain payments committed. Crash
   * tests stop a worker process there; nothing else needs it.
   */
  onStep?: ((step: PageStep) => void | Promise<void>) | undefined;
}

export const AUTOPAY_ACTOR_LABEL = 'autopay';

/**
 * One autopay pass over an agency's due invoices (autopay time ≤ now, not yet decided): each is
 * skipped with a reason or fired once through the plugin. Reads one keyset page at a time. It
 * first closes the agency's runs whose pass died and reopens their unfinished claims and the failed
 * firings whose retry has come, so those are read as due invoices like any other.
 */
export async function runAutopayPass(db: Db, actor: Actor, options: AutopayPassOptions = {}): Promise<AutopayRunView> {
  const now = options.now ?? new Date();
  const trigger = options.trigger ?? 'manual';
  const agency = await getAgency(db, actor.agencyId);
  const settings = await loadPaymentSettings(db, actor.agencyId);
  // The agency's chosen plugin; else the caller's (the process's AUTOPAY_PLUGIN), else the default.
  const plugin = await agencyAutopayPlugin(db, actor.agencyId, options.plugin ?? defaultAutopayPlugin);
  const runId = randomUUID();
  // The run's lock is held before the run is written: no pass ever sees it running and unowned.
  return holdAutopayRun(db, runId, async () => {
    await startAutopayRun(db, actor.agencyId, trigger, now, runId);
    return passUnderLock(db, actor, { ...options, plugin }, { now, trigger, runId, agency, settings });
  });
}

async function passUnderLock(
  db: Db,
  actor: Actor,
  options: AutopayPassOptions,
  pass: {
    now: Date;
    trigger: AutopayRunTrigger;
    runId: string;
    agency: { id: string; slug: string; timeZone: string };
    settings: PaymentSettings;
  },
): Promise<AutopayRunView> {
  const { now, trigger, runId, agency, settings } = pass;
  const pageSize = Math.max(1, Math.min(options.pageSize ?? 500, 5_000));
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, 64));
  const today = dateInZone(now, agency.timeZone);
  const startedAt = new Date();
  const figures = emptyRunFigures();
  const firing: FiringContext = {
    db,
    actor,
    runId,
    now,
    agency: { id: agency.id, slug: agency.slug, timeZone: agency.timeZone },
    plugin: options.plugin ?? defaultAutopayPlugin,
    jobs: options.jobs ?? noJobQueue,
    pluginTimeoutMs: options.pluginTimeoutMs ?? 60_000,
    settings,
  };
  const cache = newPassCache();
  let changes = 0;
  try {
    changes += await closeDeadRuns(db, actor.agencyId, runId);
    const reopened = await reopenFirings(db, actor.agencyId, now);
    changes += reopened.released + reopened.retried;
    const total = await countDueInvoices(db, actor.agencyId, now);
    // Keyset pages always move forward; the bound only stops a pass that new invoices keep feeding.
    const maxPages = Math.ceil(total / pageSize) + 100;
    let cursor: PageCursor | null = null;
    for (let page = 0; page < maxPages; page++) {
      const invoices = await dueInvoicePage(db, actor.agencyId, now, cursor, pageSize);
      if (invoices.length === 0) break;
      const last = invoices[invoices.length - 1]!;
      cursor = { autopayTime: last.autopayTime, id: last.id };
      figures.examined += invoices.length;
      const { skips, eligible } = await sortPage(db, actor.agencyId, invoices, settings, today);
      const fired = await firePage(firing, eligible, { settings, today, cache }, concurrency, options.onStep);
      for (const invoice of eligible) {
        const result = fired.get(invoice.id)!;
        tally(figures, result.outcome);
        if (result.outcome === 'no_balance') skips.push(skipRecord(invoice, 'no_balance', null, today));
      }
      for (const skip of skips) {
        const key = skipKey(skip.reason, skip.eligibilityReason);
        figures.skipped[key] = (figures.skipped[key] ?? 0) + 1;
      }
      changes += await recordAutopaySkips(db, actor.agencyId, runId, skips);
      await saveAutopayRun(db, actor.agencyId, runId, figures);
      options.onProgress?.({ examined: figures.examined, total: Math.max(total, figures.examined), figures });
      if (invoices.length < pageSize) break;
    }
  } catch (error) {
    await saveAutopayRun(db, actor.agencyId, runId, figures, {
      status: 'failed',
      error: (error as Error).message,
    }).catch(() => {});
    throw error;
  }
  const quiet = figures.fired === 0 && figures.alreadyFired === 0 && figures.failed === 0 && changes === 0;
  if (trigger === 'schedule' && quiet) await discardAutopayRun(db, actor.agencyId, runId);
  else await saveAutopayRun(db, actor.agencyId, runId, figures, { status: 'finished' });
  return {
    id: runId,
    trigger,
    asOf: now,
    status: 'finished',
    startedAt,
    finishedAt: new Date(),
    error: null,
    ...figures,
  };
}

function skipRecord(
  invoice: DueInvoice,
  reason: AutopaySkip['reason'],
  eligibility: EligibilityDecision | null,
  today: string,
): AutopaySkip {
  return {
    invoiceId: invoice.id,
    autopayTime: invoice.autopayTime,
    reason,
    eligibilityReason: eligibility?.reason ?? null,
    message: eligibility?.message ?? skipMessages[reason],
    final: isFinalSkip(invoice.dueDate, today),
  };
}

/** A page's invoices: those to skip (with why) and those to fire. */
async function sortPage(
  db: Db,
  agencyId: string,
  invoices: readonly DueInvoice[],
  settings: PaymentSettings,
  today: string,
): Promise<{ skips: AutopaySkip[]; eligible: DueInvoice[] }> {
  const skips: AutopaySkip[] = [];
  const candidates: DueInvoice[] = [];
  for (const invoice of invoices) {
    const reason = autopaySkipReason({
      balanceCents: invoice.balanceCents,
      suppressed: invoice.suppressed,
      enrolled: invoice.enrollment !== null,
      methodUsable: invoice.enrollment?.usable ?? false,
      paymentInProgress: invoice.paymentInProgress,
    });
    if (reason) skips.push(skipRecord(invoice, reason, null, today));
    else candidates.push(invoice);
  }
  const balances = await policyOpenBalances(db, agencyId, candidates, today);
  const eligible = candidates.filter((invoice) => {
    const decision = eligibilityOf(invoice, settings, today, balances);
    if (!decision || decision.allowed) return true;
    skips.push(skipRecord(invoice, 'ineligible', decision, today));
    return false;
  });
  return { skips, eligible };
}

/**
 * The eligibility rules for channel autopay (an outside payer), on facts loaded for the whole page.
 * `createPayment` asks them again, with the amount, inside the transaction that takes the payment.
 */
function eligibilityOf(
  invoice: DueInvoice,
  settings: PaymentSettings,
  today: string,
  balances: Map<string, { currentlyDueCents: Cents; payoffCents: Cents }>,
): EligibilityDecision | null {
  if (!invoice.policy) return null;
  const open = balances.get(invoice.policy.id);
  return decidePaymentEligibility({
    policy: invoice.policy,
    channel: 'autopay',
    actor: 'external',
    settings,
    today,
    currentlyDue: open?.currentlyDueCents ?? 0n,
    payoff: open?.payoffCents ?? 0n,
  });
}

function tally(figures: AutopayRunFigures, outcome: FiringResult['outcome']): void {
  switch (outcome) {
    case 'already_fired':
      figures.alreadyFired++;
      return;
    case 'no_balance':
      return;
    case 'payment_created':
      figures.fired++;
      figures.paymentsCreated++;
      return;
    case 'receipt_posted':
      figures.fired++;
      figures.receiptsPosted++;
      return;
    case 'no_payment':
      figures.fired++;
      figures.noPayment++;
      return;
    case 'failed':
      figures.fired++;
      figures.failed++;
      return;
  }
}
