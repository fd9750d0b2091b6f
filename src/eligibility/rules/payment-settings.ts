import { DomainError, invalid } from '../../kernel/errors.ts';
import type { Cents } from '../../kernel/money.ts';
import { type PaymentChannel, paymentChannels } from './channels.ts';

/**
 * The bank (short name) each channel's money is deposited to when a payment names none; null =
 * the agency's only bank, and with several a payment must name one (autopay's firing fails).
 */
type DefaultDepositBanks = Record<PaymentChannel, string | null>;

/** An agency's payment rules, stored under `agencies.settings.payments`. */
export interface PaymentSettings {
  /** Agents (agent sweep) may pay on submitted policies. */
  allowPaySubmittedPolicies: boolean;
  /** 0 = never, N = up to N days after the cancellation effective date, −1 = indefinitely. */
  daysToAllowCanceledPolicyPayment: number;
  disallowCancellationPendingNonPay: boolean;
  /** Mutually exclusive with `disallowCancellationPendingNonPay`. */
  disallowCancellationPendingNonPayPoorHistory: boolean;
  /** Cancellation pending for any reason other than non-pay. */
  disallowCancellationPendingUnderwriting: boolean;
  /** Outside payers on secure checkout pay between currently due and payoff. */
  enforceMinMaxSecureCheckout: boolean;
  /** Agents on agent sweep pay between currently due and payoff. */
  enforceMinMaxAgentSweep: boolean;
  /** Invoiced to the customer when a receipt is reversed as NSF (issue 3); null = no fee. */
  nsfFeeCents: Cents | null;
  /** After this many ACH returns in 12 months the customer's policies are tagged poor_payment_history (0 = never). */
  poorPaymentHistoryAfterReturns: number;
  /** Local hour (0–23, agency time zone) at which installments' autopay fires on their autopay day. */
  autopayHour: number;
  /** The agency's backup address: told about online payments and reversals (issue 7); null = none. */
  backupEmail: string | null;
  /** Only staff may finalize payment requests (agents get 403). */
  finalizeRestrictedToStaff: boolean;
  /** Days after its due date a payment request can still be paid; after that it reads as expired. */
  paymentRequestExpiryDays: number;
  defaultDepositBanks: DefaultDepositBanks;
}

export type PaymentSettingName = keyof PaymentSettings;
export type PaymentSettingsPatch = Partial<PaymentSettings>;
/** A change as asked for: the deposit banks name some channels (null clears one, the others stay). */
export type PaymentSettingsChange = Partial<Omit<PaymentSettings, 'defaultDepositBanks'>> & {
  defaultDepositBanks?: Partial<DefaultDepositBanks> | undefined;
};

export const defaultPaymentSettings: Readonly<PaymentSettings> = Object.freeze({
  allowPaySubmittedPolicies: false,
  daysToAllowCanceledPolicyPayment: 0,
  disallowCancellationPendingNonPay: false,
  disallowCancellationPendingNonPayPoorHistory: false,
  disallowCancellationPendingUnderwriting: false,
  enforceMinMaxSecureCheckout: false,
  enforceMinMaxAgentSweep: false,
  nsfFeeCents: null,
  poorPaymentHistoryAfterReturns: 2,
  autopayHour: 6,
  backupEmail: null,
  finalizeRestrictedToStaff: false,
  paymentRequestExpiryDays: 30,
  defaultDepositBanks: Object.freeze({ autopay: null, secure_checkout: null, agent_sweep: null }),
});

export const paymentSettingNames = Object.keys(defaultPaymentSettings) as PaymentSettingName[];

/** −1 means "indefinitely"; anything lower is not a setting. */
export const MIN_DAYS_TO_ALLOW_CANCELED = -1;

// The largest fee: keeps the stored cents an exact JSON number.
const MAX_FEE_CENTS = BigInt(Number.MAX_SAFE_INTEGER);

function isValidValue(name: PaymentSettingName, value: unknown): boolean {
  if (name === 'daysToAllowCanceledPolicyPayment') {
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= MIN_DAYS_TO_ALLOW_CANCELED;
  }
  if (name === 'poorPaymentHistoryAfterReturns') {
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 100;
  }
  if (name === 'autopayHour') {
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 23;
  }
  if (name === 'paymentRequestExpiryDays') {
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 365;
  }
  if (name === 'defaultDepositBanks') return isDepositBanks(value);
  if (name === 'backupEmail') return value === null || (typeof value === 'string' && isEmailAddress(value));
  if (name === 'nsfFeeCents')
    return value === null || (typeof value === 'bigint' && value > 0n && value <= MAX_FEE_CENTS);
  return typeof value === 'boolean';
}

const invalidMessage: Partial<Record<PaymentSettingName, string>> = {
  daysToAllowCanceledPolicyPayment:
    'must be an integer of at least -1 (-1 = indefinitely, 0 = never, N = up to N days)',
  nsfFeeCents: 'must be an amount greater than 0, or null for no fee',
  poorPaymentHistoryAfterReturns: 'must be an integer from 0 (never) to 100',
  autopayHour: 'must be an hour of the day, an integer from 0 to 23',
  paymentRequestExpiryDays: 'must be an integer from 0 to 365',
  backupEmail: 'must be an e-mail address, or null for none',
  defaultDepositBanks: `must be an object with bank short names (or null) for ${paymentChannels.join(', ')}`,
};

const MAX_BANK_NAME = 64;

/** Some of the channels, each a bank short name (or id, resolved by the service) or null. */
function isDepositBanks(value: unknown): value is Partial<DefaultDepositBanks> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.entries(value).every(
    ([channel, bank]) =>
      (paymentChannels as readonly string[]).includes(channel) &&
      (bank === null || (typeof bank === 'string' && bank.length > 0 && bank.length <= MAX_BANK_NAME)),
  );
}

/** A plain check (one @, a dot in the domain, no spaces); the mail server has the last word. */
function isEmailAddress(value: string): boolean {
  return value.length <= 320 && /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(value);
}

// jsonb holds no bigint: the fee is stored as a number of cents.
// The deposit banks are stored with only the channels that have one.
function fromStoredValue(name: PaymentSettingName, value: unknown): unknown {
  if (name === 'defaultDepositBanks') {
    return isDepositBanks(value) ? { ...defaultPaymentSettings.defaultDepositBanks, ...value } : value;
  }
  return name === 'nsfFeeCents' && typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
}

function toStoredValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
  return value;
}

/**
 * The deposit banks after a patch that names some channels (null clears one); the others stay.
 * The service resolves each name to a bank of the agency first.
 */
function mergeDepositBanks(current: DefaultDepositBanks, patch: Partial<DefaultDepositBanks>): DefaultDepositBanks {
  return { ...current, ...patch };
}

function isPaymentSettingName(name: string): name is PaymentSettingName {
  return (paymentSettingNames as string[]).includes(name);
}

/** The valid settings in a stored object; anything else in it (unknown keys, wrong types) is dropped. */
function explicitSettings(stored: unknown): PaymentSettingsPatch {
  const explicit: Record<string, unknown> = {};
  if (stored && typeof stored === 'object' && !Array.isArray(stored)) {
    for (const [name, raw] of Object.entries(stored)) {
      if (!isPaymentSettingName(name)) continue;
      const value = fromStoredValue(name, raw);
      if (isValidValue(name, value)) explicit[name] = value;
    }
  }
  return explicit as PaymentSettingsPatch;
}

/**
 * The stored object → complete settings. Missing keys take their default; so does a stored value
 * of the wrong type (a hand-edited row must neither lock payments up nor open them).
 */
export function paymentSettingsFromStored(stored: unknown): PaymentSettings {
  // A stored deposit-bank object comes back whole (fromStoredValue fills the channels it lacks).
  return { ...defaultPaymentSettings, ...explicitSettings(stored) };
}

/** Field checks on a patch: known names, booleans, `daysToAllowCanceledPolicyPayment` an integer ≥ −1, a positive fee or null. */
export function validatePaymentSettingsPatch(patch: Record<string, unknown>): PaymentSettingsChange {
  // An absent optional field may arrive as `undefined`: it changes nothing.
  const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
  const errors = entries.flatMap(([name, value]) => {
    if (!isPaymentSettingName(name)) return [{ path: name, message: 'is not a known payment setting' }];
    if (isValidValue(name, value)) return [];
    return [{ path: name, message: invalidMessage[name] ?? 'must be true or false' }];
  });
  if (errors.length === 1) throw invalid(errors[0]!.path, errors[0]!.message);
  if (errors.length > 1) {
    throw new DomainError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  return Object.fromEntries(entries) as PaymentSettingsChange;
}

/**
 * Settings after a patch, checked as a whole: the two non-pay disallow settings are mutually
 * exclusive, so turning one on while the other is (or stays) on is refused, naming both.
 */
export function applyPaymentSettingsPatch(current: PaymentSettings, patch: Record<string, unknown>): PaymentSettings {
  const clean = validatePaymentSettingsPatch(patch);
  const next: PaymentSettings = {
    ...current,
    ...clean,
    defaultDepositBanks: mergeDepositBanks(current.defaultDepositBanks, clean.defaultDepositBanks ?? {}),
  };
  if (next.disallowCancellationPendingNonPay && next.disallowCancellationPendingNonPayPoorHistory) {
    const message =
      'only one of disallowCancellationPendingNonPay and disallowCancellationPendingNonPayPoorHistory may be on';
    throw new DomainError(
      'unprocessable',
      'disallowCancellationPendingNonPay and disallowCancellationPendingNonPayPoorHistory are mutually exclusive: turn one off to turn the other on',
      {
        errors: [
          { path: 'disallowCancellationPendingNonPay', message },
          { path: 'disallowCancellationPendingNonPayPoorHistory', message },
        ],
      },
    );
  }
  return next;
}

/**
 * The JSON to store after a patch: the settings the agency has set explicitly (valid stored keys
 * plus the patch). Settings never set keep following the defaults.
 */
export function storedPaymentSettings(stored: unknown, patch: PaymentSettingsChange): Record<string, unknown> {
  const before = explicitSettings(stored);
  const explicit = { ...before, ...patch };
  if (patch.defaultDepositBanks) {
    explicit.defaultDepositBanks = mergeDepositBanks(
      { ...defaultPaymentSettings.defaultDepositBanks, ...before.defaultDepositBanks },
      patch.defaultDepositBanks,
    );
  }
  return Object.fromEntries(Object.entries(explicit).map(([name, value]) => [name, toStoredValue(value)]));
}

/** The settings that differ between two versions, for the audit log. */
export function changedPaymentSettings(
  before: PaymentSettings,
  after: PaymentSettings,
): Partial<Record<PaymentSettingName, { from: unknown; to: unknown }>> {
  const changes: Partial<Record<PaymentSettingName, { from: unknown; to: unknown }>> = {};
  for (const name of paymentSettingNames) {
    const [from, to] = [before[name], after[name]];
    const same = from && typeof from === 'object' ? JSON.stringify(from) === JSON.stringify(to) : from === to;
    if (!same) changes[name] = { from, to };
  }
  return changes;
}

/**
 * Who may finalize a paid payment request: staff always, agents unless the agency keeps it for
 * staff. The API's refusal and the console's Finalize buttons both follow this one rule.
 */
export function mayFinalize(
  role: 'staff' | 'agent' | 'client',
  settings: Pick<PaymentSettings, 'finalizeRestrictedToStaff'>,
): boolean {
  return role === 'staff' || (role === 'agent' && !settings.finalizeRestrictedToStaff);
}
