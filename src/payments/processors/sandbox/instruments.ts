import type { InstrumentFunding, InstrumentKind } from '../processor.ts';
import { achBehaviour, type Behaviour, cardBehaviour, cardFunding } from './test-numbers.ts';

/**
 * Validation of what a browser (or a test) sends to `POST /v1/tokens`. This is the only code that
 * sees a card number or CVC: it keeps the brand, last 4 and the test behaviour, and drops the rest.
 * Error messages name the field, never its value.
 */

export interface InstrumentDetails {
  kind: InstrumentKind;
  brand: string | null;
  funding: InstrumentFunding | null;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  bankName: string | null;
  holderName: string | null;
  accountType: 'checking' | 'savings' | null;
}

export type Tokenizable =
  | { ok: true; details: InstrumentDetails; behaviour: Behaviour }
  | { ok: false; error: InputError };

interface InputError {
  code: string;
  param: string;
  message: string;
}

const fail = (code: string, param: string, message: string): Tokenizable => ({
  ok: false,
  error: { code, param, message },
});

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ABA routing number checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10). */
function routingNumberValid(digits: string): boolean {
  if (!/^\d{9}$/.test(digits)) return false;
  const d = [...digits].map(Number) as number[];
  const sum = 3 * (d[0]! + d[3]! + d[6]!) + 7 * (d[1]! + d[4]! + d[7]!) + (d[2]! + d[5]! + d[8]!);
  return sum % 10 === 0;
}

function cardBrand(digits: string): string {
  if (/^4/.test(digits)) return 'visa';
  if (/^(5[1-5]|2(2[2-9]|[3-6]\d|7[01]|720))/.test(digits)) return 'mastercard';
  if (/^3[47]/.test(digits)) return 'amex';
  if (/^(6011|65|64[4-9])/.test(digits)) return 'discover';
  return 'unknown';
}

function optionalName(value: unknown, param: string): string | null | InputError {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string' || value.length > 200) {
    return { code: 'invalid_request', param, message: `${param} must be a string of at most 200 characters` };
  }
  return value.trim() || null;
}

function isError(value: unknown): value is InputError {
  return typeof value === 'object' && value !== null && 'code' in value;
}

function integer(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** `now` decides whether an expiry is in the past (a card is valid through its expiry month). */
export function tokenizable(body: Record<string, unknown>, now: Date): Tokenizable {
  const holderName = optionalName(body.holderName, 'holderName');
  if (isError(holderName)) return { ok: false, error: holderName };
  if (body.kind === 'card') return card(body, holderName, now);
  if (body.kind === 'ach') return ach(body, holderName);
  return fail('invalid_request', 'kind', 'kind must be "card" or "ach"');
}

function card(body: Record<string, unknown>, holderName: string | null, now: Date): Tokenizable {
  const raw = typeof body.number === 'string' ? body.number.replace(/[\s-]/g, '') : '';
  if (!/^\d{13,19}$/.test(raw) || !luhnValid(raw)) {
    return fail('incorrect_number', 'number', 'the card number is not a valid card number');
  }
  const expMonth = integer(body.expMonth);
  if (expMonth === undefined || expMonth < 1 || expMonth > 12) {
    return fail('invalid_expiry_month', 'expMonth', 'expMonth must be 1–12');
  }
  let expYear = integer(body.expYear);
  if (expYear !== undefined && expYear < 100) expYear += 2000;
  if (expYear === undefined || expYear < 2000 || expYear > 2100) {
    return fail('invalid_expiry_year', 'expYear', 'expYear must be a four-digit year');
  }
  const currentMonth = now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
  if (expYear * 12 + expMonth < currentMonth) return fail('expired_card', 'expYear', 'the card has expired');
  const brand = cardBrand(raw);
  const cvcLength = brand === 'amex' ? 4 : 3;
  if (typeof body.cvc !== 'string' || !new RegExp(`^\\d{${cvcLength}}$`).test(body.cvc)) {
    return fail('invalid_cvc', 'cvc', `cvc must be ${cvcLength} digits`);
  }
  return {
    ok: true,
    details: {
      kind: 'card',
      brand,
      funding: cardFunding(raw),
      last4: raw.slice(-4),
      expMonth,
      expYear,
      bankName: null,
      holderName,
      accountType: null,
    },
    behaviour: cardBehaviour(raw),
  };
}

function ach(body: Record<string, unknown>, holderName: string | null): Tokenizable {
  const routing = typeof body.routingNumber === 'string' ? body.routingNumber : '';
  if (!routingNumberValid(routing)) {
    return fail('invalid_routing_number', 'routingNumber', 'routingNumber must be a valid 9-digit ABA routing number');
  }
  const account = typeof body.accountNumber === 'string' ? body.accountNumber : '';
  if (!/^\d{4,17}$/.test(account)) {
    return fail('invalid_account_number', 'accountNumber', 'accountNumber must be 4–17 digits');
  }
  const accountType = body.accountType ?? 'checking';
  if (accountType !== 'checking' && accountType !== 'savings') {
    return fail('invalid_request', 'accountType', 'accountType must be "checking" or "savings"');
  }
  if (!holderName) return fail('invalid_request', 'holderName', 'holderName is required for a bank account');
  const bankName = optionalName(body.bankName, 'bankName');
  if (isError(bankName)) return { ok: false, error: bankName };
  return {
    ok: true,
    details: {
      kind: 'ach',
      brand: null,
      funding: null,
      last4: account.slice(-4),
      expMonth: null,
      expYear: null,
      bankName: bankName ?? 'Sandbox Bank',
      holderName,
      accountType,
    },
    behaviour: achBehaviour(account),
  };
}
