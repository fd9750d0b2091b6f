// How staff's search box reads a term: text for names, e-mails and policy numbers; a whole number
// for a customer or invoice number; the digits of a phone number however it is punctuated.

const INT4_MAX = 2_147_483_647;

export interface CustomerSearchTerms {
  /** ILIKE pattern matching the term anywhere (LIKE's wildcards escaped). */
  pattern: string;
  /** The term as a customer or invoice number ("1001", "#1001"), when it is one. */
  number: number | null;
  /** Digit strings a stored phone number's digits must contain (none when the term is no phone). */
  phoneDigits: string[];
}

export function customerSearchTerms(search: string): CustomerSearchTerms {
  const term = search.trim();
  const pattern = `%${term.replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
  const numeric = /^#?\s*(\d{1,10})$/.exec(term);
  const value = numeric ? Number(numeric[1]) : Number.NaN;
  const number = Number.isSafeInteger(value) && value >= 1 && value <= INT4_MAX ? value : null;
  // A phone is typed with any punctuation: "(555) 010-2000", "555.010.2000", "+1 555 010 2000".
  // Four digits or more, and nothing but digits and phone punctuation, so "Policy 2026" is no phone.
  const digits = term.replace(/\D/g, '');
  const phoneDigits: string[] = [];
  if (digits.length >= 4 && /^[\d\s().+\-/]+$/.test(term)) {
    phoneDigits.push(digits);
    // North American numbers are stored with or without the country code.
    if (digits.length === 11 && digits.startsWith('1')) phoneDigits.push(digits.slice(1));
  }
  return { pattern, number, phoneDigits };
}
