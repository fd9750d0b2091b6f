import { DomainError, type FieldError } from '../../kernel/errors.ts';
import type { Cents } from '../../kernel/money.ts';
import type { FeeSetting } from './card-fees.ts';

/**
 * An agency's convenience fees per method kind, stored under `agencies.settings.convenienceFees`.
 * Off (null) by default: an agency charges no fee until it sets one.
 */
export interface ConvenienceFees {
  card: FeeSetting | null;
  /** A bank account pays a fixed fee only (see card-fees.ts `ACH_FIXED_FEE_RULE`). */
  ach: FeeSetting | null;
}

const noConvenienceFees: Readonly<ConvenienceFees> = Object.freeze({ card: null, ach: null });

// Keeps stored cents exact JSON numbers.
const MAX_CENTS = BigInt(Number.MAX_SAFE_INTEGER);

/** Checks both settings, every problem named by its field (`card/percent`, `ach/fixed`). */
export function checkConvenienceFees(fees: ConvenienceFees): ConvenienceFees {
  const errors: FieldError[] = [];
  const check = (kind: 'card' | 'ach', setting: FeeSetting | null) => {
    if (!setting) return;
    const { percentBasisPoints: bp, fixedCents, capCents } = setting;
    if (!Number.isInteger(bp) || bp < 0 || bp > 10_000) {
      errors.push({ path: `${kind}/percent`, message: 'must be a percent from 0 to 100 with at most 2 decimals' });
    }
    if (kind === 'ach' && bp !== 0) {
      errors.push({ path: 'ach/percent', message: 'must be 0: a bank-account fee is a fixed amount' });
    }
    if (fixedCents < 0n || fixedCents > MAX_CENTS) errors.push({ path: `${kind}/fixed`, message: 'must be 0 or more' });
    if (capCents !== null && (capCents <= 0n || capCents > MAX_CENTS)) {
      errors.push({ path: `${kind}/cap`, message: 'must be greater than 0, or null for no cap' });
    }
    if (bp === 0 && fixedCents === 0n) {
      const path = kind === 'card' ? `${kind}/percent` : `${kind}/fixed`;
      errors.push({ path, message: 'set a percent or a fixed amount, or turn the fee off (null)' });
    }
  };
  check('card', fees.card);
  check('ach', fees.ach);
  if (errors.length > 0) {
    throw new DomainError(
      errors.length === 1 ? 'unprocessable' : 'validation_failed',
      errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      { errors },
    );
  }
  return fees;
}

function storedCents(value: unknown): Cents | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
}

function settingFromStored(value: unknown): FeeSetting | null {
  if (!value || typeof value !== 'object') return null;
  const raw = value as Record<string, unknown>;
  const bp = raw.percentBasisPoints;
  const fixed = storedCents(raw.fixedCents);
  const cap = raw.capCents === null || raw.capCents === undefined ? null : storedCents(raw.capCents);
  if (typeof bp !== 'number' || fixed === undefined || cap === undefined) return null;
  return { percentBasisPoints: bp, fixedCents: fixed, capCents: cap };
}

/**
 * The stored object → settings. A hand-edited value that does not check out is read as off:
 * a fee is charged only when the agency set a valid one.
 */
export function convenienceFeesFromStored(stored: unknown): ConvenienceFees {
  const raw = stored && typeof stored === 'object' ? (stored as Record<string, unknown>) : {};
  const fees = { card: settingFromStored(raw.card), ach: settingFromStored(raw.ach) };
  try {
    return checkConvenienceFees(fees);
  } catch {
    return { ...noConvenienceFees };
  }
}

/** Settings → what jsonb holds (no bigint there). */
export function storedConvenienceFees(fees: ConvenienceFees): Record<string, unknown> {
  const stored = (setting: FeeSetting | null) =>
    setting && {
      percentBasisPoints: setting.percentBasisPoints,
      fixedCents: Number(setting.fixedCents),
      capCents: setting.capCents === null ? null : Number(setting.capCents),
    };
  return { card: stored(fees.card), ach: stored(fees.ach) };
}
