import { DomainError, type FieldError } from '../../kernel/errors.ts';
import { checkNewAgency, type NewAgencyInput } from './new-agency.ts';

/** A bank as the first run names it (the receipt API's `bankShortName`, its name, its division). */
interface FirstRunBank {
  shortName: string;
  name: string;
  division: string;
}

/** What the first-run page sends: the agency, its banks, and its first staff user (who chose a password). */
export interface FirstRunInput extends NewAgencyInput {
  staffPassword: string;
  banks: FirstRunBank[];
}

/** The receipt API's `bankShortName`: what AMS360 accepts as a bank code. */
const MAX_SHORT_NAME = 20;
const MAX_BANKS = 20;

/**
 * Checks the first-run form as a whole and names every bad field at once, the banks by their row
 * (`banks.1.shortName`): at least one bank, short names unique. The agency's own fields are
 * `checkNewAgency`'s, so a first run and `policypay agency create` accept the same agencies.
 */
export function checkFirstRun(input: FirstRunInput): FirstRunInput {
  const errors: FieldError[] = [];
  let agency: NewAgencyInput | undefined;
  try {
    agency = checkNewAgency(input);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    errors.push(...error.errors);
  }
  if (input.banks.length === 0) errors.push({ path: 'banks', message: 'must list at least one bank' });
  if (input.banks.length > MAX_BANKS) errors.push({ path: 'banks', message: `at most ${MAX_BANKS} banks` });
  const banks = input.banks.map((bank) => ({
    shortName: bank.shortName.trim(),
    name: bank.name.trim(),
    division: bank.division.trim() || 'Main',
  }));
  const seen = new Set<string>();
  banks.forEach((bank, i) => {
    const at = (field: string) => `banks.${i}.${field}`;
    if (!/^[A-Za-z0-9_-]+$/.test(bank.shortName) || bank.shortName.length > MAX_SHORT_NAME) {
      errors.push({
        path: at('shortName'),
        message: `must be 1 to ${MAX_SHORT_NAME} letters, digits, dashes or underscores`,
      });
    } else if (seen.has(bank.shortName.toUpperCase())) {
      errors.push({ path: at('shortName'), message: 'is listed twice' });
    }
    seen.add(bank.shortName.toUpperCase());
    if (bank.name === '') errors.push({ path: at('name'), message: 'must not be empty' });
  });
  if (errors.length > 0 || !agency) {
    throw new DomainError('unprocessable', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  return { ...agency, staffPassword: input.staffPassword, banks };
}
