import { isCalendarDate } from '../../kernel/calendar.ts';
import { DomainError, invalid } from '../../kernel/errors.ts';
import type { Cents } from '../../kernel/money.ts';

/** A policy's terms as an edit may change them. */
export interface PolicyTerms {
  lineOfBusiness: string;
  effectiveDate: string;
  expirationDate: string;
  premiumCents: Cents;
  /** The installment plan's id, or null. */
  installmentPlanId: string | null;
}

export type PolicyTermChanges = Partial<PolicyTerms>;

/** What billing fixed: the installments were scheduled from these, so they no longer move. */
const billedTerms = ['premiumCents', 'installmentPlanId', 'effectiveDate'] as const;
const fieldNames: Record<keyof PolicyTerms, string> = {
  lineOfBusiness: 'lineOfBusiness',
  effectiveDate: 'effectiveDate',
  expirationDate: 'expirationDate',
  premiumCents: 'premium',
  installmentPlanId: 'installmentPlan',
};

/**
 * The fields an edit really changes, checked against the policy as it stands. The term must stay
 * a period (expiration after effective). Once billed, the premium, plan and effective date made
 * its installments and invoices: changing them would leave the book telling another story, so
 * they are refused (a correction is an invoice or a new policy).
 */
export function policyEdit(current: PolicyTerms, changes: PolicyTermChanges, billed: boolean): PolicyTermChanges {
  const changed: PolicyTermChanges = {};
  for (const key of Object.keys(fieldNames) as (keyof PolicyTerms)[]) {
    const value = changes[key];
    if (value !== undefined && value !== current[key]) Object.assign(changed, { [key]: value });
  }
  for (const key of ['effectiveDate', 'expirationDate'] as const) {
    const value = changed[key];
    if (value !== undefined && !isCalendarDate(value)) throw invalid(key, 'must be a date YYYY-MM-DD');
  }
  const effective = changed.effectiveDate ?? current.effectiveDate;
  const expiration = changed.expirationDate ?? current.expirationDate;
  if (expiration <= effective) {
    const field = changed.expirationDate !== undefined ? 'expirationDate' : 'effectiveDate';
    throw invalid(field, field === 'expirationDate' ? 'must be after effectiveDate' : 'must be before expirationDate');
  }
  if (billed) {
    const fixed = billedTerms.filter((key) => changed[key] !== undefined);
    if (fixed.length > 0) {
      throw new DomainError(
        'unprocessable',
        `the policy is billed: its ${fixed.map((k) => fieldNames[k]).join(', ')} made its installments and cannot change`,
        { errors: fixed.map((k) => ({ path: fieldNames[k], message: 'cannot change once the policy is billed' })) },
      );
    }
  }
  return changed;
}
