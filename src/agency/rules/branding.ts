import { DomainError, type FieldError } from '../../kernel/errors.ts';

/**
 * How the agency shows itself to clients: in the client portal's header and in every e-mail.
 * Stored under `agencies.settings.branding`; what is not set follows the defaults.
 */
export interface Branding {
  /** The name clients see; null = the agency's own name. */
  displayName: string | null;
  /** An https address of the logo image; null = the first letter of the name. */
  logoUrl: string | null;
  /** `#rrggbb`, for the portal header and e-mail buttons; null = policypay's blue. */
  primaryColor: string | null;
}

export type BrandingPatch = Partial<Branding>;

const defaultBranding: Readonly<Branding> = Object.freeze({
  displayName: null,
  logoUrl: null,
  primaryColor: null,
});

/** policypay's own colour, where an agency chose none. */
const DEFAULT_PRIMARY_COLOR = '#0b5cad';

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const MAX_NAME = 100;
const MAX_URL = 500;

/** The rule each field breaks, or none. */
function problem(field: keyof Branding, value: unknown): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') return 'must be text, or null for the default';
  if (field === 'displayName') {
    return value.trim().length >= 1 && value.length <= MAX_NAME ? null : `must be 1–${MAX_NAME} characters`;
  }
  if (field === 'primaryColor') return HEX_COLOR.test(value) ? null : 'must be a hex colour such as #1f6feb';
  if (value.length > MAX_URL) return `must be at most ${MAX_URL} characters`;
  try {
    return new URL(value).protocol === 'https:' ? null : 'must be an https:// address';
  } catch {
    return 'must be an https:// address';
  }
}

/** Validates a change (every bad field named at once); trims the name, lower-cases the colour. */
export function validateBrandingPatch(patch: BrandingPatch): BrandingPatch {
  const errors: FieldError[] = [];
  const clean: BrandingPatch = {};
  for (const field of ['displayName', 'logoUrl', 'primaryColor'] as const) {
    if (!(field in patch)) continue;
    const value = patch[field] as unknown;
    const message = problem(field, value);
    if (message) errors.push({ path: field, message });
    else if (typeof value === 'string') clean[field] = field === 'primaryColor' ? value.toLowerCase() : value.trim();
    else clean[field] = null;
  }
  if (errors.length > 0) {
    throw new DomainError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  return clean;
}

/** The stored JSON, defaults applied; anything malformed there reads as the default. */
export function brandingFromStored(stored: unknown): Branding {
  const result: Branding = { ...defaultBranding };
  if (!stored || typeof stored !== 'object') return result;
  for (const field of ['displayName', 'logoUrl', 'primaryColor'] as const) {
    const value = (stored as Record<string, unknown>)[field];
    if (typeof value === 'string' && problem(field, value) === null) result[field] = value;
  }
  return result;
}

/** Who an e-mail is from, as its template shows it. */
export interface EmailSender {
  agencyName: string;
  brandColor: string;
  logoUrl: string | null;
}

export function emailSender(agency: { name: string; branding: Branding }): EmailSender {
  return {
    agencyName: agency.branding.displayName ?? agency.name,
    brandColor: agency.branding.primaryColor ?? DEFAULT_PRIMARY_COLOR,
    logoUrl: agency.branding.logoUrl,
  };
}
