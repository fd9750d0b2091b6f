/**
 * A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return that hides one) as
 * a formula, so text typed by or about customers could run in the agency's Excel. OWASP's advice:
 * prefix such a cell with a single quote, which the spreadsheet shows as text. Only free text goes
 * through here: amounts we format ourselves ('-12.50') stay numbers.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** A free-text CSV cell: absent → empty, else neutralised. */
export function textCell(text: string | null | undefined): string {
  return text === null || text === undefined ? '' : neutraliseCell(text);
}

/** An instant as ISO 8601 UTC; absent → empty. */
export function instantCell(at: Date | null | undefined): string {
  return at ? at.toISOString() : '';
}
