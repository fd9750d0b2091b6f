import { getAgency } from '../agency/agencies.ts';
import { loadPaymentSettings } from '../agency/payment-settings.ts';
import { type Frequency, scheduleInstallments } from '../agency/rules/installments.ts';
import { installmentAutopayTime, invoiceAutopayTime } from '../autopay/rules/autopay-time.ts';
import { findPolicy } from '../customers/policies.ts';
import type { Actor } from '../kernel/actor.ts';
import { dateInZone } from '../kernel/calendar.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { insertInvoice } from './invoices.ts';

export interface BilledInstallment {
  sequence: number;
  dueDate: string;
  amountCents: bigint;
  invoiceNumber: number;
  autopayTime: Date | null;
}

/**
 * Bills a policy on its installment plan: one installment and one invoice per due date, amounts
 * summing exactly to the premium. A policy is billed once; a second call is a conflict.
 */
export async function billPolicy(
  db: Db | Tx,
  actor: Actor,
  policyNumber: string,
  now: Date = new Date(),
): Promise<BilledInstallment[]> {
  return inTransaction(db, async (tx) => {
    const policy = await findPolicy(tx, actor.agencyId, policyNumber, true);
    if (!policy.installment_plan_id) {
      throw new DomainError('unprocessable', `policy ${policyNumber} has no installment plan to bill`, {
        errors: [{ path: 'installmentPlan', message: 'the policy has none' }],
      });
    }
    if (policy.premium_cents === 0n) {
      throw new DomainError('unprocessable', `policy ${policyNumber} has no premium to bill`);
    }
    const already = await tx
      .selectFrom('installments')
      .select('id')
      .where('policy_id', '=', policy.id)
      .executeTakeFirst();
    if (already) throw new DomainError('conflict', `policy ${policyNumber} is already billed`);
    const plan = await tx
      .selectFrom('installment_plans')
      .selectAll()
      .where('id', '=', policy.installment_plan_id)
      .executeTakeFirstOrThrow();
    const agency = await getAgency(tx, actor.agencyId);
    const today = dateInZone(now, agency.timeZone);
    const timing = {
      leadDays: plan.autopay_lead_days,
      hour: (await loadPaymentSettings(tx, actor.agencyId)).autopayHour,
      timeZone: agency.timeZone,
    };
    const schedule = scheduleInstallments(
      policy.premium_cents,
      plan.installments,
      plan.frequency as Frequency,
      policy.effective_date,
    );
    const billed: BilledInstallment[] = [];
    for (const item of schedule) {
      const autopayTime = installmentAutopayTime(item.dueDate, timing);
      const invoice = await insertInvoice(
        tx,
        actor,
        {
          customerId: policy.customer_id,
          policyId: policy.id,
          dueDate: item.dueDate,
          amountCents: item.amountCents,
          description: `${policy.policy_number} installment ${item.sequence} of ${schedule.length}`,
          // One installment per invoice today; an invoice holding several takes the earliest.
          autopayTime: invoiceAutopayTime([autopayTime]),
        },
        today,
      );
      await tx
        .insertInto('installments')
        .values({
          agency_id: actor.agencyId,
          policy_id: policy.id,
          invoice_id: invoice.id,
          sequence: item.sequence,
          due_date: item.dueDate,
          amount_cents: item.amountCents,
          autopay_time: autopayTime,
        })
        .execute();
      billed.push({ ...item, invoiceNumber: invoice.invoice_number, autopayTime });
    }
    await audit(tx, actor, 'policy.billed', { type: 'policy', id: policy.id }, { installments: billed.length });
    return billed;
  });
}
