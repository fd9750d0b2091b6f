/** The kinds of file an agency imports its book from, one CSV per kind, in this order. */
export const importKinds = ['customers', 'contacts', 'policies', 'invoices'] as const;
export type ImportKind = (typeof importKinds)[number];

/**
 * `rejected`: the preview found problems, nothing can be written. `committing`: batches are being
 * (or were, when a process died) written; running the commit again carries on from `rows_done`.
 */
export const importStatuses = ['rejected', 'previewed', 'committing', 'committed'] as const;
export type ImportStatus = (typeof importStatuses)[number];

/** One thing wrong with one cell (or a whole row: column `*`). Rows count as a spreadsheet does: the header is row 1. */
export interface RowProblem {
  row: number;
  column: string;
  rule: string;
}

/** What a commit would do (preview) or did, per row: created, already there (unchanged), or skipped with a reason. */
export interface ImportCounts {
  rows: number;
  create: number;
  unchanged: number;
  /** Invoices paid in full in the old system: no open AR, nothing to collect. */
  skipped: number;
}

export function emptyCounts(): ImportCounts {
  return { rows: 0, create: 0, unchanged: 0, skipped: 0 };
}

/** The columns each kind reads (others are ignored, so a policypay export can be read back). */
const importColumns: Readonly<Record<ImportKind, { required: readonly string[]; optional: readonly string[] }>> = {
  customers: {
    required: ['name'],
    optional: [
      'externalId',
      'customerNumber',
      'type',
      'email',
      'phone',
      'addressLine1',
      'addressLine2',
      'city',
      'state',
      'postalCode',
      'country',
    ],
  },
  contacts: { required: ['customer', 'name'], optional: ['email', 'phone', 'primary'] },
  policies: {
    required: ['policyNumber', 'customer', 'lineOfBusiness', 'effectiveDate', 'expirationDate'],
    optional: ['premium', 'installmentPlan', 'status', 'cancellationReason', 'cancellationEffectiveDate'],
  },
  invoices: {
    required: ['invoiceNumber', 'customer', 'dueDate', 'amount', 'openBalance'],
    optional: ['policyNumber', 'description'],
  },
};

/** Problems with the header row: a required column that is missing, or one named twice. */
export function headerProblems(kind: ImportKind, header: readonly string[]): RowProblem[] {
  const problems: RowProblem[] = [];
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) problems.push({ row: 1, column: name, rule: 'column appears twice in the header' });
    seen.add(name);
  }
  for (const name of importColumns[kind].required) {
    if (!seen.has(name)) problems.push({ row: 1, column: name, rule: 'required column is missing from the header' });
  }
  if (kind === 'customers' && !seen.has('externalId') && !seen.has('customerNumber')) {
    problems.push({ row: 1, column: 'externalId', rule: 'the header needs externalId or customerNumber' });
  }
  return problems;
}
