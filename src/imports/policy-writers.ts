import type { Insertable } from 'kysely';
import { transitionPolicy } from '../customers/rules/policy-lifecycle.ts';
import type { Actor } from '../kernel/actor.ts';
import { auditRow } from '../platform/db/audit.ts';
import type { Database } from '../platform/db/schema.ts';
import type { Tx } from '../platform/db/transaction.ts';
import type { WritablePlan } from './book-matching.ts';
import { auditColumns, type Columns, insertUnnest, orderedId } from './bulk-insert.ts';

const policyColumns: Columns = {
  id: 'uuid',
  agency_id: 'uuid',
  customer_id: 'uuid',
  policy_number: 'text',
  line_of_business: 'text',
  effective_date: 'date',
  expiration_date: 'date',
  premium_cents: 'bigint',
  installment_plan_id: 'uuid',
  status: 'text',
  cancellation_reason: 'text',
  cancellation_effective_date: 'date',
  updated_at: 'timestamptz',
};

/**
 * A batch of new policies in one insert. One by one, a policy imported as cancellation_pending or
 * canceled is created active and then transitioned (those statuses carry details only a
 * transition records); here it is inserted in the state that transition reaches (the same pure
 * rule decides it) and both audit rows are written, `policy.created` as active and then
 * `policy.transitioned`, as the two use cases record them. policypay keeps no lifecycle history
 * table besides the audit log.
 */
export async function writePolicies(
  tx: Tx,
  actor: Actor,
  plans: readonly WritablePlan<'policies'>[],
  today: string,
  now: Date,
): Promise<void> {
  const agencyId = actor.agencyId;
  const planNames = [...new Set(plans.flatMap((p) => (p.row.installmentPlan ? [p.row.installmentPlan] : [])))];
  const planIds = new Map(
    planNames.length === 0
      ? []
      : (
          await tx
            .selectFrom('installment_plans')
            .select(['id', 'name'])
            .where('agency_id', '=', agencyId)
            .where('name', 'in', planNames)
            .execute()
        ).map((p) => [p.name, p.id]),
  );
  const rows: Insertable<Database['policies']>[] = [];
  const audits = [];
  for (const { row, customer } of plans) {
    const id = orderedId();
    const pending = row.status === 'cancellation_pending' || row.status === 'canceled';
    const created = pending ? 'active' : row.status;
    const next = pending
      ? transitionPolicy(
          { status: 'active', cancellationReason: null, cancellationEffectiveDate: null },
          { to: row.status, reason: row.cancellationReason, effectiveDate: row.cancellationEffectiveDate },
          today,
        )
      : undefined;
    rows.push({
      id,
      agency_id: agencyId,
      customer_id: customer!.id,
      policy_number: row.policyNumber,
      line_of_business: row.lineOfBusiness,
      effective_date: row.effectiveDate,
      expiration_date: row.expirationDate,
      premium_cents: row.premiumCents,
      // Checked against the agency's plans when the batch was planned, in this transaction.
      installment_plan_id: row.installmentPlan ? planIds.get(row.installmentPlan)! : null,
      status: next?.status ?? created,
      cancellation_reason: next?.cancellationReason ?? null,
      cancellation_effective_date: next?.cancellationEffectiveDate ?? null,
      updated_at: now,
    });
    audits.push(
      auditRow(actor, 'policy.created', { type: 'policy', id }, { policyNumber: row.policyNumber, status: created }),
    );
    if (next) audits.push(auditRow(actor, 'policy.transitioned', { type: 'policy', id }, { from: created, ...next }));
  }
  await insertUnnest(tx, 'policies', policyColumns, rows);
  await insertUnnest(tx, 'audit_log', auditColumns, audits);
}
