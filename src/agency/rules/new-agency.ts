import { DomainError, type FieldError } from '../../kernel/errors.ts';
import { resolveTimeZone } from '../../kernel/time-zones.ts';

/** What an operator gives to set an agency up: the agency, its profile, and its first staff user. */
export interface NewAgencyInput {
  name: string;
  slug: string;
  timeZone: string;
  addressLine1?: string | undefined;
  city?: string | undefined;
  state?: string | undefined;
  postalCode?: string | undefined;
  backupEmail: string;
  staffEmail: string;
  staffName: string;
  staffPassword?: string | undefined;
}

/** The same rule as the database's CHECK on agencies.slug, so a bad slug is named before any write. */
const SLUG = /^[a-z0-9][a-z0-9-]*$/;
const MAX_SLUG = 63;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD = 8;

const blank = (value: string | undefined) => value === undefined || value.trim() === '';

/**
 * Checks a new agency as a whole and names every bad field at once (422: well-formed, but not an
 * agency that can be set up); returns it trimmed, with the
 * time zone as its IANA name (a Windows zone ID is accepted, as AMS360 gives them).
 */
export function checkNewAgency(input: NewAgencyInput): NewAgencyInput {
  const errors: FieldError[] = [];
  const slug = input.slug.trim();
  if (!SLUG.test(slug) || slug.length > MAX_SLUG) {
    errors.push({
      path: 'slug',
      message: `must be 1 to ${MAX_SLUG} lowercase letters, digits and dashes, starting with a letter or digit`,
    });
  }
  if (blank(input.name)) errors.push({ path: 'name', message: 'must not be empty' });
  const timeZone = resolveTimeZone(input.timeZone);
  if (!timeZone) {
    errors.push({ path: 'timeZone', message: 'must be an IANA time zone (America/Chicago) or a Windows zone ID' });
  }
  for (const field of ['backupEmail', 'staffEmail'] as const) {
    if (!EMAIL.test(input[field].trim())) errors.push({ path: field, message: 'must be an e-mail address' });
  }
  if (blank(input.staffName)) errors.push({ path: 'staffName', message: 'must not be empty' });
  if (input.staffPassword !== undefined && input.staffPassword.length < MIN_PASSWORD) {
    errors.push({ path: 'staffPassword', message: `must be at least ${MIN_PASSWORD} characters` });
  }
  if (errors.length > 0) {
    throw new DomainError('unprocessable', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  const optional = (value: string | undefined) => (blank(value) ? undefined : value!.trim());
  return {
    name: input.name.trim(),
    slug,
    timeZone: timeZone!,
    addressLine1: optional(input.addressLine1),
    city: optional(input.city),
    state: optional(input.state),
    postalCode: optional(input.postalCode),
    backupEmail: input.backupEmail.trim().toLowerCase(),
    staffEmail: input.staffEmail.trim().toLowerCase(),
    staffName: input.staffName.trim(),
    staffPassword: input.staffPassword,
  };
}
