import { Counter, Gauge, type Registry } from 'prom-client';
import type { AutopayRunView } from '../../autopay/runs.ts';
import { emailStatuses } from '../../email/outbox.ts';
import { paymentStates } from '../../payments/rules/payment-states.ts';
import { syncSystems } from '../../sync/rules/records.ts';
import { ageSeconds, type DatabaseFigures } from './database-figures.ts';

const autopayRunStatuses = [
  'running',
  'finished',
  'failed',
  'abandoned',
] as const satisfies readonly AutopayRunView['status'][];

type Figures = () => Promise<DatabaseFigures | undefined>;

/**
 * Gauges and counters whose values are read at scrape time from one load of the database figures
 * (shared by all of them). Every known label value is reported, zero included, so that a rate or
 * an alert has a series before the first event. When the load failed the series are left out and
 * `policypay_database_up` says why.
 */
export function registerDatabaseMetrics(registry: Registry, figures: Figures, clock: () => Date): void {
  const registers = [registry];
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (metric: Gauge<L>, f: DatabaseFigures, now: Date) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const f = await figures();
        this.reset();
        if (f) read(this, f, clock());
        else if (labelNames.length === 0) this.remove(); // no series rather than a false 0
      },
    });
  const counter = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: (metric: Counter<L>, f: DatabaseFigures) => void,
  ) =>
    new Counter<L>({
      name,
      help,
      labelNames,
      registers,
      async collect() {
        const f = await figures();
        // A total read from the rows: reset, then set to what the database says. Without an answer
        // the series is left out: a counter dropping to 0 would read as a restart and a burst after.
        this.reset();
        if (f) read(this, f);
        else if (labelNames.length === 0) this.remove();
      },
    });
  const payments = (f: DatabaseFigures, ...states: string[]) =>
    states.reduce((sum, state) => sum + (f.paymentsByState.get(state) ?? 0), 0);

  gauge('policypay_payments', 'Payments by state, all agencies', ['state'], (m, f) => {
    for (const state of paymentStates) m.set({ state }, payments(f, state));
  });
  counter('policypay_payments_created_total', 'Payments ever created', [], (m, f) =>
    m.inc(payments(f, ...paymentStates)),
  );
  counter(
    'policypay_payments_succeeded_total',
    'Payments that succeeded (posted, later reversals included)',
    [],
    (m, f) => m.inc(payments(f, 'posted', 'reversed')),
  );
  counter('policypay_payments_failed_total', 'Payments that failed for good', [], (m, f) =>
    m.inc(payments(f, 'failed')),
  );
  gauge('policypay_payment_attempts_unknown', 'Processor attempts whose outcome is unknown', [], (m, f) =>
    m.set(f.attempts.unknown),
  );
  gauge(
    'policypay_payment_attempts_awaiting_janitor',
    'Started or unknown attempts whose janitor check is due',
    [],
    (m, f) => m.set(f.attempts.awaitingJanitor),
  );
  gauge('policypay_payment_janitor_lag_seconds', 'How long the oldest due janitor check has waited', [], (m, f, now) =>
    m.set(ageSeconds(now, f.attempts.oldestDueCheck)),
  );
  gauge('policypay_payment_attempt_oldest_unknown_seconds', 'Age of the oldest attempt in unknown', [], (m, f, now) =>
    m.set(ageSeconds(now, f.attempts.oldestUnknownStart)),
  );

  gauge('policypay_autopay_due_invoices', 'Invoices whose autopay time has come and no pass has decided', [], (m, f) =>
    m.set(f.autopay.dueInvoices),
  );
  gauge(
    'policypay_autopay_oldest_due_seconds',
    'How long the oldest undecided autopay time has been due',
    [],
    (m, f, now) => m.set(ageSeconds(now, f.autopay.oldestDueTime)),
  );
  gauge('policypay_autopay_retries_due', 'Failed autopay firings whose retry time has come', [], (m, f) =>
    m.set(f.autopay.retriesDue),
  );
  counter('policypay_autopay_runs_total', 'Autopay passes that did something, by status', ['status'], (m, f) => {
    for (const status of autopayRunStatuses) m.inc({ status }, f.autopay.runsByStatus.get(status) ?? 0);
  });
  counter('policypay_autopay_fired_total', 'Invoices autopay fired (the passes’ figures summed)', [], (m, f) =>
    m.inc(f.autopay.fired),
  );
  counter('policypay_autopay_failed_total', 'Autopay firings that failed (the passes’ figures summed)', [], (m, f) =>
    m.inc(f.autopay.failed),
  );

  gauge('policypay_emails', 'E-mails by status', ['status'], (m, f) => {
    for (const status of emailStatuses) m.set({ status }, f.emailsByStatus.get(status)?.count ?? 0);
  });
  counter('policypay_emails_sent_total', 'E-mails sent', [], (m, f) => m.inc(f.emailsByStatus.get('sent')?.count ?? 0));
  gauge('policypay_email_outbox_depth', 'E-mails waiting to be sent', [], (m, f) =>
    m.set(f.emailsByStatus.get('pending')?.count ?? 0),
  );
  gauge('policypay_email_outbox_oldest_seconds', 'Age of the oldest e-mail waiting to be sent', [], (m, f, now) =>
    m.set(ageSeconds(now, f.emailsByStatus.get('pending')?.oldest ?? null)),
  );

  gauge(
    'policypay_sync_lag_seconds',
    'Seconds since the least recent completed daily sync among the agencies with the system enabled',
    ['system'],
    (m, f, now) => {
      for (const [system, at] of f.sync.lastRun) m.set({ system }, ageSeconds(now, at));
    },
  );
  gauge('policypay_sync_push_backlog', 'Changes queued to push to an external system', ['system'], (m, f) => {
    for (const system of syncSystems) m.set({ system }, f.sync.pushes.get(system)?.pending ?? 0);
  });
  gauge('policypay_sync_push_errors', 'Queued pushes whose last try failed', ['system'], (m, f) => {
    for (const system of syncSystems) m.set({ system }, f.sync.pushes.get(system)?.failing ?? 0);
  });
}
