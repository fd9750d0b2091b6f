// What a client reads for a payment's or a request's state on My Payments: plain words, never the
// engine's state names (a payment declined at checkout is stored as cancelled, and reads "Declined").

type PaymentLike = { state: string; declined: boolean; type: 'card' | 'ach' };

export function paymentStatusWords(payment: PaymentLike): string {
  if (payment.declined) return 'Declined';
  switch (payment.state) {
    case 'posted':
      return 'Paid';
    case 'executing':
      return payment.type === 'ach' ? 'Processing (bank transfers take a few days)' : 'Processing';
    case 'draft':
    case 'validated':
    case 'requested':
      return 'Scheduled';
    case 'failed':
      return 'Did not go through';
    case 'cancelled':
      return 'Cancelled';
    case 'reversed':
      return 'Reversed (returned or disputed)';
    default:
      return 'Being reviewed by your agency';
  }
}

export function requestStatusWords(state: string): string {
  switch (state) {
    case 'requested':
      return 'Waiting for your payment';
    case 'expired':
      return 'Expired: ask your agency for a new link';
    case 'cancelled':
      return 'Cancelled by your agency';
    case 'paid':
    case 'finalized':
      return 'Paid';
    default:
      return 'Being reviewed by your agency';
  }
}
