// What each kind of file holds, in plain words, with its columns and an example to start from.
// The example's header row is the sample's in docs/import/samples (the browser test compares them).
import type { ImportKind } from '../../api/import-api.ts';

type KindGuide = {
  label: string;
  /** Why it comes where it does in the order. */
  summary: string;
  required: string;
  optional: string;
  example: string;
};

export const kindGuides: Readonly<Record<ImportKind, KindGuide>> = {
  customers: {
    label: 'Customers',
    summary: 'Everyone you bill. Import them first: every other file names its customer.',
    required: 'name, and externalId (your AMS’s customer id) or customerNumber',
    optional: 'type (individual or group), email, phone, addressLine1, addressLine2, city, state, postalCode, country',
    example:
      'externalId,customerNumber,type,name,email,phone,addressLine1,addressLine2,city,state,postalCode,country\n' +
      'AMS-1001,,individual,Jane Smith,jane.smith@example.com,(312) 555-0101,12 Lake Shore Dr,Apt 4,Chicago,IL,60611,US\n',
  },
  contacts: {
    label: 'Contacts',
    summary: 'The people at each customer who get bills and pay them. After customers.',
    required: 'customer (its externalId or customer number), name',
    optional: 'email, phone, primary (yes or no)',
    example: 'customer,name,email,phone,primary\nAMS-1001,Jane Smith,jane.smith@example.com,,yes\n',
  },
  policies: {
    label: 'Policies',
    summary: 'Each customer’s policies. After customers (and any installment plans you set up).',
    required: 'policyNumber, customer, lineOfBusiness, effectiveDate, expirationDate',
    optional:
      'premium, installmentPlan (a plan set up in policypay), status, cancellationReason, cancellationEffectiveDate',
    example:
      'policyNumber,customer,lineOfBusiness,effectiveDate,expirationDate,premium,installmentPlan,status,cancellationReason,cancellationEffectiveDate\n' +
      'HO-2026-001,AMS-1001,Homeowners,2026-01-15,2027-01-15,"1,200.00",,active,,\n',
  },
  invoices: {
    label: 'Invoices',
    summary: 'What customers still owe you (opening balances). Last: an invoice names its customer and policy.',
    required: 'invoiceNumber, customer, dueDate, amount, openBalance',
    optional: 'policyNumber, description',
    example:
      'invoiceNumber,customer,policyNumber,dueDate,amount,openBalance,description\n' +
      '50001,AMS-1001,HO-2026-001,2026-02-15,300.00,300.00,\n',
  },
};

/** A link target for the example file (no request: the text is in the page). */
export function exampleHref(kind: ImportKind): string {
  return `data:text/csv;charset=utf-8,${encodeURIComponent(kindGuides[kind].example)}`;
}
