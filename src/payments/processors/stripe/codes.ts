// Pure: Stripe's decline and ACH failure codes as policypay reads them (hard or soft, NACHA return).

/**
 * Declines an issuer will not approve on retry (card networks penalise retrying them), or that need
 * the customer: new details, authentication. Every other decline code is soft.
 */
const HARD_DECLINES: ReadonlySet<string> = new Set([
  'authentication_required',
  'card_not_supported',
  'currency_not_supported',
  'do_not_try_again',
  'expired_card',
  'fraudulent',
  'incorrect_cvc',
  'incorrect_number',
  'incorrect_zip',
  'invalid_account',
  'invalid_cvc',
  'invalid_expiry_month',
  'invalid_expiry_year',
  'invalid_number',
  'invalid_pin',
  'lost_card',
  'merchant_blacklist',
  'new_account_information_available',
  'not_permitted',
  'pickup_card',
  'pin_try_exceeded',
  'restricted_card',
  'revocation_of_all_authorizations',
  'revocation_of_authorization',
  'security_violation',
  'service_not_allowed',
  'stolen_card',
  'stop_payment_order',
  'testmode_decline',
  'transaction_not_allowed',
]);

/** Stripe's ACH failure codes and the NACHA return codes they stand for. */
const ACH_RETURN_CODES: Readonly<Record<string, string>> = {
  insufficient_funds: 'R01',
  account_closed: 'R02',
  no_account: 'R03',
  invalid_account_number: 'R04',
  debit_not_authorized: 'R10',
};

export function isHardDecline(code: string, adviceCode?: string | null): boolean {
  if (adviceCode === 'do_not_try_again' || adviceCode === 'confirm_card_data') return true;
  if (adviceCode === 'try_again_later') return false;
  return HARD_DECLINES.has(code);
}

export function achReturnCode(stripeCode: string | null | undefined): string | undefined {
  if (!stripeCode) return undefined;
  if (/^R\d{2}$/.test(stripeCode)) return stripeCode;
  return ACH_RETURN_CODES[stripeCode];
}
