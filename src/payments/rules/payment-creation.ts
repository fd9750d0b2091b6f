import { paymentTypeWords } from '../../customers/rules/activity-words.ts';
import { DomainError, invalid } from '../../kernel/errors.ts';
import { type Cents, formatAmount, sum } from '../../kernel/money.ts';

/**
 * The rules every new payment passes, whether the API creates one or the autopay pass a page of
 * them (`payments/creation/create.ts`, `autopay/batch.ts`). Each takes what the caller
 * loaded and throws the refusal the API answers with; the autopay pass hands a refused payment to
 * the one-payment path, which throws the same refusal.
 */

export type NewPaymentState = 'draft' | 'validated' | 'requested' | 'posted';

/** What a payment is asked to be, before anything is loaded. */
export interface PaymentShape {
  type: 'card' | 'ach';
  amountCents: Cents;
  currency: string;
  targets: { invoiceNumber: number; amountCents: Cents }[];
  state?: NewPaymentState | undefined;
  collectedOutside?: boolean | undefined;
  allowNoTargets?: boolean | undefined;
}

/** The checks that need nothing loaded; returns the state the payment is created in. */
export function checkPaymentShape(shape: PaymentShape): NewPaymentState {
  if (shape.currency !== 'USD') throw invalid('currency', 'must be USD');
  if (shape.targets.length === 0 && !shape.allowNoTargets) {
    throw invalid('targets', 'must name at least one invoice');
  }
  const targetTotal = sum(shape.targets.map((t) => t.amountCents));
  if (targetTotal > shape.amountCents) {
    throw new DomainError('unprocessable', 'the targets add up to more than the payment amount', {
      errors: [{ path: 'amount', message: 'must be at least the sum of the target amounts' }],
    });
  }
  const state = shape.state ?? 'requested';
  if ((state === 'posted') !== (shape.collectedOutside === true)) {
    throw new Error('only money collected outside policypay is created as a posted payment');
  }
  return state;
}

export interface MethodFacts {
  customerId: string;
  kind: 'card' | 'ach';
  disabledAt: Date | null;
  disabledReason: string | null;
  deletedAt: Date | null;
}

/** The payment method must be a saved, enabled method of the customer, of the payment's type. */
export function checkPaymentMethod(
  id: string,
  method: MethodFacts | undefined,
  customerId: string,
  type: 'card' | 'ach',
): void {
  const fail = (message: string) =>
    new DomainError('unprocessable', `payment method ${id}: ${message}`, {
      errors: [{ path: 'paymentMethodId', message }],
    });
  if (!method || method.customerId !== customerId || method.deletedAt) {
    throw fail('is not a saved method of this customer');
  }
  if (method.disabledAt) throw fail(`is disabled (${method.disabledReason ?? 'by the processor'})`);
  if (method.kind !== type) throw fail(`is a ${method.kind} method, not ${type}`);
}

export interface TargetInvoice {
  id: string;
  customerId: string;
  policyNumber: string | null;
}

/**
 * Every target must be an invoice of the customer. Returns the targets' invoice ids in order and
 * each target policy's share of the payment, which the eligibility rules are asked about.
 */
export function checkTargets(
  targets: PaymentShape['targets'],
  invoices: ReadonlyMap<number, TargetInvoice>,
  customerId: string,
): { invoiceIds: string[]; perPolicy: Map<string, Cents> } {
  const perPolicy = new Map<string, Cents>();
  const invoiceIds = targets.map((target, index) => {
    const invoice = invoices.get(target.invoiceNumber);
    if (!invoice || invoice.customerId !== customerId) {
      throw new DomainError(
        'unprocessable',
        invoice
          ? `invoice ${target.invoiceNumber} belongs to another customer`
          : `invoice ${target.invoiceNumber} does not exist`,
        {
          errors: [
            {
              path: `targets/${index}/invoiceNumber`,
              message: invoice ? 'belongs to another customer' : 'unknown invoice',
            },
          ],
        },
      );
    }
    if (invoice.policyNumber) {
      perPolicy.set(invoice.policyNumber, (perPolicy.get(invoice.policyNumber) ?? 0n) + target.amountCents);
    }
    return invoice.id;
  });
  return { invoiceIds, perPolicy };
}

/** Another payment in flight for one of the invoices (its outcome unknown): a second charge could pay twice. */
export function inFlightRefusal(other: { invoiceNumber: number; paymentId: string; state: string }): DomainError {
  return new DomainError(
    'payment_in_flight',
    `invoice ${other.invoiceNumber} already has payment ${other.paymentId} in flight (${other.state}); wait for its outcome or cancel it before paying again`,
    { extensions: { invoiceNumber: other.invoiceNumber, paymentId: other.paymentId, paymentState: other.state } },
  );
}

/** The customer's activity for a new payment. */
export function paymentCreatedSummary(input: {
  type: 'card' | 'ach';
  amountCents: Cents;
  state: NewPaymentState;
  actorLabel: string;
}): string {
  // Money an autopay plugin collected outside policypay was not requested here: say what happened.
  const what = input.state === 'posted' ? 'collected outside policypay, recorded' : 'requested';
  return `${paymentTypeWords(input.type)} payment of ${formatAmount(input.amountCents)} ${what} by ${input.actorLabel}`;
}
