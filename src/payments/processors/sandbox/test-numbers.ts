/**
 * The sandbox's test instruments, in the style of Stripe's test cards. Any expiry in the future and
 * any CVC of the right length work. A Luhn-valid card number not listed here succeeds; an ACH
 * account not listed here settles.
 */

/** Succeeds (Visa). */
export const CARD_SUCCEEDS = '4242424242424242';
/** Succeeds (Mastercard). */
export const CARD_SUCCEEDS_MASTERCARD = '5555555555554444';
/** Succeeds (American Express: 15 digits, 4-digit CVC). */
export const CARD_SUCCEEDS_AMEX = '378282246310005';
/** Succeeds; a debit card (Visa), as Stripe's test card: no convenience fee may be charged on it. */
export const CARD_DEBIT = '4000056655665556';
/** Succeeds; a debit card (Mastercard), as Stripe's test card. */
export const CARD_DEBIT_MASTERCARD = '5200828282828210';
/** Succeeds; a prepaid card (Mastercard), as Stripe's test card. */
export const CARD_PREPAID = '5105105105105100';
/** Declined `insufficient_funds`: a soft decline, worth retrying later. */
export const CARD_DECLINED_INSUFFICIENT_FUNDS = '4000000000009995';
/** Declined `stolen_card`: a hard decline, never retried. */
export const CARD_DECLINED_STOLEN = '4000000000009979';
/** The charge is made and recorded, then the response is lost (the socket is destroyed). */
export const CARD_LOST_RESPONSE = '4000000000004087';
/** The sandbox answers 503 and charges nothing. */
export const CARD_UNAVAILABLE = '4000000000005035';

/** Any 9-digit routing number with a valid ABA checksum works; this is the documented one. */
export const ACH_ROUTING_NUMBER = '110000000';
/** Settles after the sandbox's settlement days (default 3). */
export const ACH_SETTLES = '000123456789';
/** Returned R01 (insufficient funds) at settlement instead of settling. */
export const ACH_RETURN_R01_NSF = '000000001001';
/** Returned R02 (account closed) at settlement. */
export const ACH_RETURN_R02_ACCOUNT_CLOSED = '000000001002';
/** Returned R03 (no account / unable to locate) at settlement. */
export const ACH_RETURN_R03_NO_ACCOUNT = '000000001003';
/** Returned R10 (customer advises unauthorized) at settlement. */
export const ACH_RETURN_R10_UNAUTHORIZED = '000000001010';

/** What a card does when charged. */
export type CardBehaviour =
  | { kind: 'succeed' }
  | { kind: 'decline'; code: string; retryable: boolean; message: string }
  | { kind: 'lose_response' }
  | { kind: 'unavailable' };

/** What an ACH debit does at settlement. */
export type AchBehaviour = { kind: 'settle' } | { kind: 'return'; code: string };

export type Behaviour = CardBehaviour | AchBehaviour;

const cards: ReadonlyMap<string, CardBehaviour> = new Map<string, CardBehaviour>([
  [
    CARD_DECLINED_INSUFFICIENT_FUNDS,
    { kind: 'decline', code: 'insufficient_funds', retryable: true, message: 'The card has insufficient funds.' },
  ],
  [
    CARD_DECLINED_STOLEN,
    { kind: 'decline', code: 'stolen_card', retryable: false, message: 'The card was reported stolen.' },
  ],
  [CARD_LOST_RESPONSE, { kind: 'lose_response' }],
  [CARD_UNAVAILABLE, { kind: 'unavailable' }],
]);

const achAccounts: ReadonlyMap<string, AchBehaviour> = new Map<string, AchBehaviour>([
  [ACH_RETURN_R01_NSF, { kind: 'return', code: 'R01' }],
  [ACH_RETURN_R02_ACCOUNT_CLOSED, { kind: 'return', code: 'R02' }],
  [ACH_RETURN_R03_NO_ACCOUNT, { kind: 'return', code: 'R03' }],
  [ACH_RETURN_R10_UNAUTHORIZED, { kind: 'return', code: 'R10' }],
]);

export function cardBehaviour(number: string): CardBehaviour {
  return cards.get(number) ?? { kind: 'succeed' };
}

export function achBehaviour(accountNumber: string): AchBehaviour {
  return achAccounts.get(accountNumber) ?? { kind: 'settle' };
}

/** For `policypay sandbox` and docs: every test instrument with what it does. */
export const TEST_NUMBERS: ReadonlyArray<{ kind: 'card' | 'ach'; number: string; outcome: string }> = [
  { kind: 'card', number: CARD_SUCCEEDS, outcome: 'succeeds (Visa)' },
  { kind: 'card', number: CARD_SUCCEEDS_MASTERCARD, outcome: 'succeeds (Mastercard)' },
  { kind: 'card', number: CARD_SUCCEEDS_AMEX, outcome: 'succeeds (American Express)' },
  { kind: 'card', number: CARD_DECLINED_INSUFFICIENT_FUNDS, outcome: 'declined insufficient_funds (soft)' },
  { kind: 'card', number: CARD_DECLINED_STOLEN, outcome: 'declined stolen_card (hard)' },
  { kind: 'card', number: CARD_LOST_RESPONSE, outcome: 'charged, then the response is lost' },
  { kind: 'card', number: CARD_UNAVAILABLE, outcome: '503, nothing charged' },
  { kind: 'ach', number: ACH_SETTLES, outcome: 'pending, settles after the settlement days' },
  { kind: 'ach', number: ACH_RETURN_R01_NSF, outcome: 'pending, returned R01 (NSF) at settlement' },
  { kind: 'ach', number: ACH_RETURN_R02_ACCOUNT_CLOSED, outcome: 'pending, returned R02 (account closed)' },
  { kind: 'ach', number: ACH_RETURN_R03_NO_ACCOUNT, outcome: 'pending, returned R03 (no account)' },
  { kind: 'ach', number: ACH_RETURN_R10_UNAUTHORIZED, outcome: 'pending, returned R10 (unauthorized)' },
];

/** A card's funding as a processor reports it: the debit and prepaid test numbers above, else credit. */
export function cardFunding(number: string): 'credit' | 'debit' | 'prepaid' {
  if (number === CARD_DEBIT || number === CARD_DEBIT_MASTERCARD) return 'debit';
  return number === CARD_PREPAID ? 'prepaid' : 'credit';
}
