import { getAgency } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { installmentAutopayTime } from '../autopay/rules/autopay-time.ts';
import type { Actor } from '../kernel/actor.ts';
import { isCalendarDate } from '../kernel/calendar.ts';
import { DomainError, invalid, notFound } from '../kernel/errors.ts';
import { type Cents, formatAmount, sum } from '../kernel/money.ts';
import type { Db, Tx } from '../platform/db/transaction.ts';

/**
 * Installments outside billing: the autopay times of an invoice created directly (imported AR)
 * from its policy's plan, the installments such an invoice may carry, and reading an invoice's
 * installments. Billing (`billing.ts`) writes its own.
 */

export interface InstallmentInput {
  dueDate: string;
  amountCents: Cents;
}

export interface InstallmentView {
  policyNumber: string;
  sequence: number;
  dueDate: string;
  amountCents: Cents;
  autopayTime: Date | null;
}

/** An imported invoice's installments must be real dates that add up to the invoice's amount. */
export function checkInstallments(installments: readonly InstallmentInput[], amountCents: Cents): void {
  installments.forEach((item, index) => {
    if (!isCalendarDate(item.dueDate)) throw invalid(`installments/${index}/dueDate`, 'must be a date YYYY-MM-DD');
    if (item.amountCents <= 0n) throw invalid(`installments/${index}/amount`, 'must be greater than 0');
  });
  const total = sum(installments.map((i) => i.amountCents));
  if (total !== amountCents) {
    throw new DomainError(
      'validation_failed',
      `the installments add up to ${formatAmount(total)}, not the invoice amount ${formatAmount(amountCents)}`,
      { errors: [{ path: 'installments', message: `must add up to the amount (${formatAmount(amountCents)})` }] },
    );
  }
}

/**
 * The autopay time of each due date under a policy's plan, as billing sets them: due date minus
 * the plan's lead days at the agency's autopay hour. No plan, or a plan without lead days: none.
 */
export async function planAutopayTimes(
  tx: Tx,
  agencyId: string,
  planId: string | null,
  dueDates: readonly string[],
): Promise<(Date | null)[]> {
  if (!planId) return dueDates.map(() => null);
  const plan = await tx
    .selectFrom('installment_plans')
    .select('autopay_lead_days')
    .where('agency_id', '=', agencyId)
    .where('id', '=', planId)
    .executeTakeFirstOrThrow();
  if (plan.autopay_lead_days === null) return dueDates.map(() => null);
  const agency = await getAgency(tx, agencyId);
  const timing = {
    leadDays: plan.autopay_lead_days,
    hour: (await loadPaymentSettings(tx, agencyId)).autopayHour,
    timeZone: agency.timeZone,
  };
  return dueDates.map((dueDate) => installmentAutopayTime(dueDate, timing));
}

/** Writes an imported invoice's installments, numbered after the policy's last one. */
export async function insertInvoiceInstallments(
  tx: Tx,
  agencyId: string,
  policyId: string,
  invoiceId: string,
  installments: readonly (InstallmentInput & { autopayTime: Date | null })[],
): Promise<void> {
  const last = await tx
    .selectFrom('installments')
    .select((eb) => eb.fn.max('sequence').as('max'))
    .where('agency_id', '=', agencyId)
    .where('policy_id', '=', policyId)
    .executeTakeFirst();
  const first = Number(last?.max ?? 0) + 1;
  await tx
    .insertInto('installments')
    .values(
      installments.map((item, index) => ({
        agency_id: agencyId,
        policy_id: policyId,
        invoice_id: invoiceId,
        sequence: first + index,
        due_date: item.dueDate,
        amount_cents: item.amountCents,
        autopay_time: item.autopayTime,
      })),
    )
    .execute();
}

/** An invoice's installments in due order, each with its autopay time. */
export async function listInvoiceInstallments(
  db: Db | Tx,
  actor: Actor,
  invoiceNumber: number,
): Promise<{ invoiceNumber: number; autopayTime: Date | null; installments: InstallmentView[] }> {
  const invoice = await db
    .selectFrom('invoices')
    .select(['id', 'invoice_number', 'autopay_time'])
    .where('agency_id', '=', actor.agencyId)
    .where('invoice_number', '=', invoiceNumber)
    .executeTakeFirst();
  if (!invoice) throw notFound('invoice', invoiceNumber);
  const rows = await db
    .selectFrom('installments')
    .innerJoin('policies', 'policies.id', 'installments.policy_id')
    .select([
      'policies.policy_number',
      'installments.sequence',
      'installments.due_date',
      'installments.amount_cents',
      'installments.autopay_time',
    ])
    .where('installments.agency_id', '=', actor.agencyId)
    .where('installments.invoice_id', '=', invoice.id)
    .orderBy('installments.due_date')
    .orderBy('installments.sequence')
    .execute();
  return {
    invoiceNumber: invoice.invoice_number,
    autopayTime: invoice.autopay_time,
    installments: rows.map((r) => ({
      policyNumber: r.policy_number,
      sequence: r.sequence,
      dueDate: r.due_date,
      amountCents: r.amount_cents,
      autopayTime: r.autopay_time,
    })),
  };
}
