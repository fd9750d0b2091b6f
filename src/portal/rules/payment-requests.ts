import { addDays, type CalendarDate } from '../../kernel/calendar.ts';

/** What a request reads as. `expired` is derived from the stored `requested` and the date. */
export const paymentRequestStates = ['requested', 'paid', 'finalized', 'cancelled', 'expired'] as const;
export type PaymentRequestReadState = (typeof paymentRequestStates)[number];
export type StoredPaymentRequestState = Exclude<PaymentRequestReadState, 'expired'>;

/** The last day a request can be paid: the due date plus the agency's expiry days. */
export function paymentRequestExpiresOn(dueDate: CalendarDate, expiryDays: number): CalendarDate {
  return addDays(dueDate, expiryDays);
}

/** A request still waiting for payment after its last day is expired; nothing else changes. */
export function readPaymentRequestState(
  stored: StoredPaymentRequestState,
  expiresOn: CalendarDate,
  today: CalendarDate,
): PaymentRequestReadState {
  return stored === 'requested' && today > expiresOn ? 'expired' : stored;
}

/** Why a request in this state cannot take the action, or null when it can. */
export function refusalFor(action: 'pay' | 'cancel' | 'finalize', state: PaymentRequestReadState): string | null {
  const allowed: Record<typeof action, PaymentRequestReadState[]> = {
    pay: ['requested'],
    cancel: ['requested', 'expired'],
    finalize: ['paid'],
  };
  if (allowed[action].includes(state)) return null;
  if (action === 'pay' && state === 'expired') return 'the payment request has expired';
  if (action === 'pay' && (state === 'paid' || state === 'finalized')) return 'the payment request is already paid';
  const verb = action === 'pay' ? 'paid' : action === 'cancel' ? 'cancelled' : 'finalized';
  return `the payment request is ${state}; it cannot be ${verb}`;
}
