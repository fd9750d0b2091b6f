import type { CalendarDate } from '../../kernel/calendar.ts';
import { type Cents, formatAmount, sum } from '../../kernel/money.ts';

/**
 * What a client may pay at once on the portal when the agency enforces min/max on secure checkout:
 * at least what is currently due (open balances due by today) and at most the payoff (every open
 * balance), over the whole account. Per-policy eligibility still applies to each invoice paid.
 */
export interface CheckoutLimits {
  enforced: boolean;
  minimumCents: Cents | null;
  maximumCents: Cents | null;
}

export function checkoutLimits(
  invoices: readonly { balanceCents: Cents; dueDate: CalendarDate }[],
  today: CalendarDate,
  enforced: boolean,
): CheckoutLimits {
  if (!enforced) return { enforced: false, minimumCents: null, maximumCents: null };
  const open = invoices.filter((i) => i.balanceCents > 0n);
  return {
    enforced: true,
    minimumCents: sum(open.filter((i) => i.dueDate <= today).map((i) => i.balanceCents)),
    maximumCents: sum(open.map((i) => i.balanceCents)),
  };
}

/** Why an amount is outside the limits (a message for the client), or null when it is inside. */
export function checkoutRefusal(
  limits: CheckoutLimits,
  amountCents: Cents,
  options: { minimum: boolean },
): string | null {
  if (!limits.enforced || limits.maximumCents === null || limits.minimumCents === null) return null;
  if (amountCents > limits.maximumCents) {
    return `The agency takes online payments up to the payoff amount, ${formatAmount(limits.maximumCents)}.`;
  }
  if (options.minimum && amountCents < limits.minimumCents) {
    return `The agency takes online payments of at least the currently due amount, ${formatAmount(limits.minimumCents)}.`;
  }
  return null;
}
