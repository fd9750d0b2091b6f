import { findInstallmentPlan } from '../agency/installment-plans.ts';
import type { Actor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import type { Cents } from '../kernel/money.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, type Tx } from '../platform/db/transaction.ts';
import { findPolicy, type PolicyView, policyView } from './policies.ts';
import { policyEdit } from './rules/policy-edits.ts';

export interface PolicyChanges {
  lineOfBusiness?: string | undefined;
  effectiveDate?: string | undefined;
  expirationDate?: string | undefined;
  premiumCents?: Cents | undefined;
  /** A plan's name or id; null takes the policy off its plan. */
  installmentPlan?: string | null | undefined;
}

/**
 * Edits a policy's terms (not its status: that is a transition, and not its number: that is how
 * the AMS and the ledger know it). One transaction: the policy is locked, checked against the
 * rules (a billed policy keeps what billed it) and written with its audit row.
 */
export async function updatePolicy(
  db: Db | Tx,
  actor: Actor,
  policyNumber: string,
  changes: PolicyChanges,
): Promise<PolicyView> {
  return inTransaction(db, async (tx) => {
    const policy = await findPolicy(tx, actor.agencyId, policyNumber, true);
    let installmentPlanId: string | null | undefined;
    if (changes.installmentPlan === null) installmentPlanId = null;
    else if (changes.installmentPlan !== undefined) {
      const plan = await findInstallmentPlan(tx, actor.agencyId, changes.installmentPlan);
      if (!plan) {
        throw new DomainError('unprocessable', `installment plan "${changes.installmentPlan}" was not found`, {
          errors: [{ path: 'installmentPlan', message: 'unknown installment plan' }],
        });
      }
      installmentPlanId = plan.id;
    }
    const billed = await tx
      .selectFrom('installments')
      .select('id')
      .where('policy_id', '=', policy.id)
      .executeTakeFirst();
    const changed = policyEdit(
      {
        lineOfBusiness: policy.line_of_business,
        effectiveDate: policy.effective_date,
        expirationDate: policy.expiration_date,
        premiumCents: policy.premium_cents,
        installmentPlanId: policy.installment_plan_id,
      },
      {
        lineOfBusiness: changes.lineOfBusiness,
        effectiveDate: changes.effectiveDate,
        expirationDate: changes.expirationDate,
        premiumCents: changes.premiumCents,
        installmentPlanId,
      },
      billed !== undefined,
    );
    if (Object.keys(changed).length === 0) return policyView(tx, policy);
    const row = await tx
      .updateTable('policies')
      .set({
        ...(changed.lineOfBusiness !== undefined ? { line_of_business: changed.lineOfBusiness } : {}),
        ...(changed.effectiveDate !== undefined ? { effective_date: changed.effectiveDate } : {}),
        ...(changed.expirationDate !== undefined ? { expiration_date: changed.expirationDate } : {}),
        ...(changed.premiumCents !== undefined ? { premium_cents: changed.premiumCents } : {}),
        ...(changed.installmentPlanId !== undefined ? { installment_plan_id: changed.installmentPlanId } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', policy.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, actor, 'policy.updated', { type: 'policy', id: policy.id }, { fields: Object.keys(changed) });
    return policyView(tx, row);
  });
}
