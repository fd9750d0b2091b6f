import { instantCell, textCell } from '../../kernel/csv-cells.ts';

export const customerCsvHeader = [
  'customerNumber',
  'type',
  'name',
  'email',
  'phone',
  'addressLine1',
  'addressLine2',
  'city',
  'state',
  'postalCode',
  'country',
  'createdAt',
] as const;

interface CustomerCsvInput {
  customerNumber: number;
  type: string;
  name: string;
  email: string | null;
  phone: string | null;
  address: {
    line1?: string | undefined;
    line2?: string | undefined;
    city?: string | undefined;
    state?: string | undefined;
    postalCode?: string | undefined;
    country?: string | undefined;
  } | null;
  createdAt: Date;
}

/** A customer as a CSV row in `customerCsvHeader`'s order; its free text neutralised. */
export function customerCsvRow(customer: CustomerCsvInput): string[] {
  const address = customer.address ?? {};
  return [
    String(customer.customerNumber),
    customer.type,
    textCell(customer.name),
    textCell(customer.email),
    textCell(customer.phone),
    textCell(address.line1),
    textCell(address.line2),
    textCell(address.city),
    textCell(address.state),
    textCell(address.postalCode),
    textCell(address.country),
    instantCell(customer.createdAt),
  ];
}
