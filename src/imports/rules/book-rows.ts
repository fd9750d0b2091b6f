import {
  type CancellationReason,
  cancellationReasons,
  type PolicyStatus,
  policyStatuses,
} from '../../customers/rules/policy-lifecycle.ts';
import type { CalendarDate } from '../../kernel/calendar.ts';
import type { Cents } from '../../kernel/money.ts';
import { type CsvRecord, RowReader } from './cells.ts';
import type { ImportKind, RowProblem } from './import-kinds.ts';

/** The parts of a postal address a customer row may carry (the customers' `address` column). */
interface ImportedAddress {
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  country?: string;
}

interface CustomerRow {
  kind: 'customers';
  row: number;
  externalId: string | undefined;
  customerNumber: number | undefined;
  type: 'individual' | 'group';
  name: string;
  email: string | undefined;
  phone: string | undefined;
  address: ImportedAddress | undefined;
}

interface ContactRow {
  kind: 'contacts';
  row: number;
  /** The customer's external id, or its policypay customer number. */
  customer: string;
  name: string;
  email: string | undefined;
  phone: string | undefined;
  primary: boolean | undefined;
}

interface PolicyRow {
  kind: 'policies';
  row: number;
  policyNumber: string;
  customer: string;
  lineOfBusiness: string;
  effectiveDate: CalendarDate;
  expirationDate: CalendarDate;
  premiumCents: Cents;
  installmentPlan: string | undefined;
  status: PolicyStatus;
  cancellationReason: CancellationReason | undefined;
  cancellationEffectiveDate: CalendarDate | undefined;
}

interface InvoiceRow {
  kind: 'invoices';
  row: number;
  invoiceNumber: number;
  customer: string;
  policyNumber: string | undefined;
  dueDate: CalendarDate;
  amountCents: Cents;
  openBalanceCents: Cents;
  description: string | undefined;
}

export type BookRow = CustomerRow | ContactRow | PolicyRow | InvoiceRow;

export type ParsedRow = { ok: true; value: BookRow } | { ok: false; problems: RowProblem[] };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Parses one data row of a file of `kind` into a typed row, or every problem it has. */
export function parseBookRow(kind: ImportKind, row: number, record: CsvRecord): ParsedRow {
  const cells = new RowReader(row, record);
  const value = readRow(kind, cells);
  return cells.problems.length > 0 ? { ok: false, problems: cells.problems } : { ok: true, value };
}

function readRow(kind: ImportKind, cells: RowReader): BookRow {
  switch (kind) {
    case 'customers':
      return readCustomer(cells);
    case 'contacts':
      return {
        kind,
        row: cells.row,
        customer: cells.required('customer', 64),
        name: cells.required('name'),
        email: email(cells),
        phone: cells.optional('phone', 40),
        primary: cells.flag('primary'),
      };
    case 'policies':
      return readPolicy(cells);
    case 'invoices':
      return readInvoice(cells);
  }
}

function email(cells: RowReader): string | undefined {
  const text = cells.optional('email', 254);
  if (text !== undefined && !EMAIL.test(text)) cells.problem('email', 'must be an e-mail address');
  return text;
}

function readCustomer(cells: RowReader): CustomerRow {
  const externalId = cells.optional('externalId', 64);
  const customerNumber = cells.number('customerNumber', false);
  if (externalId === undefined && customerNumber === undefined && !cells.problems.length) {
    cells.problem('externalId', 'a customer needs an externalId or a customerNumber');
  }
  const address: ImportedAddress = {};
  for (const [column, field] of [
    ['addressLine1', 'line1'],
    ['addressLine2', 'line2'],
    ['city', 'city'],
    ['state', 'state'],
    ['postalCode', 'postalCode'],
    ['country', 'country'],
  ] as const) {
    const text = cells.optional(column, 100);
    if (text !== undefined) address[field] = text;
  }
  return {
    kind: 'customers',
    row: cells.row,
    externalId,
    customerNumber,
    type: cells.oneOf('type', ['individual', 'group'] as const, 'individual'),
    name: cells.required('name'),
    email: email(cells),
    phone: cells.optional('phone', 40),
    address: Object.keys(address).length > 0 ? address : undefined,
  };
}

function readPolicy(cells: RowReader): PolicyRow {
  const effectiveDate = cells.date('effectiveDate', true);
  const expirationDate = cells.date('expirationDate', true);
  if (effectiveDate && expirationDate && expirationDate <= effectiveDate) {
    cells.problem('expirationDate', 'must be after effectiveDate');
  }
  // A policy from another system comes as it stands there: active unless the file says otherwise.
  const status = cells.oneOf('status', policyStatuses, 'active');
  const reason = cells.optional('cancellationReason');
  if (reason !== undefined && !(cancellationReasons as readonly string[]).includes(reason)) {
    cells.problem('cancellationReason', `must be one of ${cancellationReasons.join(', ')}`);
  }
  const cancellationEffectiveDate = cells.date('cancellationEffectiveDate', false);
  if (status === 'cancellation_pending' && reason === undefined) {
    cells.problem('cancellationReason', 'is required for a policy in cancellation_pending');
  }
  if (status === 'canceled' && cancellationEffectiveDate === undefined) {
    cells.problem('cancellationEffectiveDate', 'is required for a canceled policy');
  }
  if (status !== 'canceled' && status !== 'cancellation_pending' && reason !== undefined) {
    cells.problem('cancellationReason', 'applies only to cancellation_pending and canceled policies');
  }
  return {
    kind: 'policies',
    row: cells.row,
    policyNumber: cells.required('policyNumber', 64),
    customer: cells.required('customer', 64),
    lineOfBusiness: cells.required('lineOfBusiness', 100),
    effectiveDate,
    expirationDate,
    premiumCents: cells.amount('premium', { required: false, allowZero: true }),
    installmentPlan: cells.optional('installmentPlan', 100),
    status,
    cancellationReason: reason as CancellationReason | undefined,
    cancellationEffectiveDate,
  };
}

function readInvoice(cells: RowReader): InvoiceRow {
  const amountCents = cells.amount('amount', { required: true, allowZero: false });
  const openBalanceCents = cells.amount('openBalance', { required: true, allowZero: true });
  if (amountCents > 0n && openBalanceCents > amountCents) cells.problem('openBalance', 'must not exceed amount');
  return {
    kind: 'invoices',
    row: cells.row,
    invoiceNumber: cells.number('invoiceNumber', true) ?? 0,
    customer: cells.required('customer', 64),
    policyNumber: cells.optional('policyNumber', 64),
    dueDate: cells.date('dueDate', true),
    amountCents,
    openBalanceCents,
    description: cells.optional('description', 500),
  };
}

/** The row's natural key within its agency: the same key twice in one file is a problem. */
export function naturalKey(row: BookRow): string {
  switch (row.kind) {
    case 'customers':
      return row.externalId !== undefined ? `id:${row.externalId}` : `number:${row.customerNumber}`;
    case 'contacts':
      return `${row.customer}\u0000${row.name.toLowerCase()}`;
    case 'policies':
      return row.policyNumber;
    case 'invoices':
      return String(row.invoiceNumber);
  }
}
