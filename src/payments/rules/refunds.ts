import type { Cents } from '../../kernel/money.ts';

/** Where a payment's money went: On Account, or an invoice it was applied to. */
export interface RefundBucket {
  invoiceId: string | null;
  cents: Cents;
}

/**
 * Which parts of a posted payment a refund takes back. Refunds unwind the payment in reverse: first
 * what it left On Account, then its invoice applications from the last to the first, so a partial
 * refund reopens as few invoices as it can. `alreadyRefunded` is what earlier refunds took.
 */
export function allocateRefund(
  onAccountCents: Cents,
  applications: readonly { invoiceId: string; appliedCents: Cents }[],
  alreadyRefunded: Cents,
  amountCents: Cents,
): RefundBucket[] {
  const buckets: RefundBucket[] = [
    { invoiceId: null, cents: onAccountCents },
    ...[...applications].reverse().map((a) => ({ invoiceId: a.invoiceId, cents: a.appliedCents })),
  ];
  const total = buckets.reduce((sum, b) => sum + b.cents, 0n);
  if (amountCents <= 0n || alreadyRefunded + amountCents > total)
    throw new RangeError('refund exceeds what the payment brought in');
  const taken: RefundBucket[] = [];
  let skip = alreadyRefunded;
  let left = amountCents;
  for (const bucket of buckets) {
    if (left === 0n) break;
    const skipped = skip < bucket.cents ? skip : bucket.cents;
    skip -= skipped;
    const available = bucket.cents - skipped;
    const take = available < left ? available : left;
    if (take > 0n) taken.push({ invoiceId: bucket.invoiceId, cents: take });
    left -= take;
  }
  return taken;
}

/**
 * The part of a payment's convenience fee a refund returns (issue 20.3): pro rata to the amount
 * refunded, as Visa's rules require of a surcharge. Counted on the running total and rounded half
 * up, so refunds in parts return exactly the whole fee once the whole amount is refunded.
 */
export function refundFeeCents(input: {
  feeCents: Cents;
  amountCents: Cents;
  refundedCents: Cents;
  refundedFeeCents: Cents;
  refundCents: Cents;
}): Cents {
  const { feeCents, amountCents } = input;
  if (feeCents === 0n || amountCents <= 0n) return 0n;
  const refundedAfter = input.refundedCents + input.refundCents;
  const feeAfter = (feeCents * refundedAfter * 2n + amountCents) / (2n * amountCents);
  return feeAfter - input.refundedFeeCents;
}
