// Activities are read by people: who did it by name, how money moved in words. Actor labels
// (`user:dana@agency.com`) stay in the data for the audit trail; these turn them into words.
import type { PaymentCheckType } from '../../ledger/rules/receipt-input.ts';

/** "card" → "Card", "ach" → "Bank (ACH)": how a payment's type reads in a sentence's first word. */
export function paymentTypeWords(type: 'card' | 'ach'): string {
  return type === 'card' ? 'Card' : 'Bank (ACH)';
}

const receiptMethods: Record<PaymentCheckType, string> = {
  Check: 'check',
  Cash: 'cash',
  CreditCard: 'credit card',
  DebitCard: 'debit card',
  EFT: 'electronic funds transfer',
};

/** AMS360's payment type codes in a sentence: "CreditCard" → "credit card". */
function receiptMethodWords(type: PaymentCheckType): string {
  return receiptMethods[type];
}

const systemNames: Record<string, string> = {
  system: 'policypay',
  demo: 'the demo data',
  cli: 'the command line',
  autopay: 'autopay',
  'worker:payments': 'the payment processor',
  'worker:processor-events': 'the payment processor',
  'worker:ams360-receipts': 'the AMS360 export',
  'sync-demo': 'the sync demo',
};

/** Who an actor label is, given the names of the agency's users and contacts by e-mail. */
export function actorName(label: string, namesByEmail: ReadonlyMap<string, string>): string {
  const [kind, ...rest] = label.split(':');
  const value = rest.join(':');
  if ((kind === 'user' || kind === 'client') && value) return namesByEmail.get(value.toLowerCase()) ?? value;
  if (kind === 'api_key' && value) return `API key "${value}"`;
  return systemNames[label] ?? label;
}

/** The e-mails an activity's actor and text name through `user:`/`client:` labels. */
export function labelledEmails(text: string): string[] {
  return [...text.matchAll(/\b(?:user|client):([^\s,;:()]+@[^\s,;:()]+?)(?=[\s,;:()]|\.?$)/g)].map((m) =>
    m[1]!.toLowerCase(),
  );
}

/**
 * An activity's text in words: actor labels become names, and texts written before activities
 * used words ("Payment of card requested", "by CreditCard") read as they are written today.
 */
export function activityWords(summary: string, namesByEmail: ReadonlyMap<string, string>): string {
  return summary
    .replace(/\b(user|client):([^\s,;:()]+@[^\s,;:()]+?)(?=[\s,;:()]|\.?$)/g, (label) => actorName(label, namesByEmail))
    .replace(/\bapi_key:([^\s,;:()]+)/g, (label) => actorName(label, namesByEmail))
    .replace(
      /^Payment of (card|ach) requested$/,
      (_m, type: 'card' | 'ach') => `${paymentTypeWords(type)} payment requested`,
    )
    .replace(
      / by (Check|Cash|CreditCard|DebitCard|EFT) deposited to /,
      (_m, type: PaymentCheckType) => ` by ${receiptMethodWords(type)} deposited to `,
    );
}
