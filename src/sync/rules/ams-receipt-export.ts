import type { Cents } from '../../kernel/money.ts';
import { toAmount } from '../../kernel/money.ts';
import { windowsTimeZone } from '../../kernel/time-zones.ts';
import type { PaymentCheckType } from '../../ledger/rules/receipt-input.ts';
import { allocateRefund } from '../../payments/rules/refunds.ts';

/**
 * What policypay sends to an AMS360-style `POST /receipt/customer` for one of its receipts, and
 * how it reads the answer. Pure: the sender does the I/O and passes the clock in.
 */

/** Our receipt number as the AMS sees it: in the description and the X-External-Reference header. */
export function amsReceiptReference(receiptNumber: number): string {
  return `PP-${receiptNumber}`;
}

/** Stable for the life of the receipt, so every retry is the same request (and replays at the AMS). */
export function amsReceiptIdempotencyKey(receiptId: string): string {
  return `policypay-receipt-${receiptId}`;
}

export interface ExportableReceipt {
  receiptNumber: number;
  customerNumber: number;
  amountCents: Cents;
  receiptDate: string;
  receiptTimeZone: string;
  bankShortName: string;
  paymentCheckType: PaymentCheckType;
  description: string;
  payerCheckNumber: string | null;
  /** One per item of the receipt, in order: what the payer meant for each invoice (or On Account). */
  items: { invoiceNumber: number | null; amountCents: Cents; description: string }[];
}

/** AMS360's CustomerCashReceiptPostRequest. */
export interface AmsReceiptBody {
  customerNumber: number;
  invoiceInformations: { invoiceNumber?: number; paymentAmount: number; invoicePaymentDescription: string }[];
  receiptAmount: number;
  receiptDate: string;
  receiptDateTimeZone: string;
  bankShortName: string;
  receiptDescription: string;
  paymentCheckType: PaymentCheckType;
  payerCheckNumber?: string;
}

const MAX_DESCRIPTION = 500;

/**
 * The AMS body for a receipt. Items are sent as the payer meant them (applied + On Account part of
 * each), so the AMS applies them by its own balances; the description starts with our reference
 * because the AMS360 request has no external-reference field of its own.
 */
export function amsReceiptBody(receipt: ExportableReceipt): AmsReceiptBody {
  const reference = amsReceiptReference(receipt.receiptNumber);
  return {
    customerNumber: receipt.customerNumber,
    invoiceInformations: receipt.items.map((item) => ({
      ...(item.invoiceNumber === null ? {} : { invoiceNumber: item.invoiceNumber }),
      paymentAmount: toAmount(item.amountCents),
      invoicePaymentDescription: item.description.slice(0, MAX_DESCRIPTION),
    })),
    receiptAmount: toAmount(receipt.amountCents),
    receiptDate: receipt.receiptDate,
    receiptDateTimeZone: windowsTimeZone(receipt.receiptTimeZone),
    bankShortName: receipt.bankShortName,
    receiptDescription: `${reference} ${receipt.description}`.slice(0, MAX_DESCRIPTION),
    paymentCheckType: receipt.paymentCheckType,
    ...(receipt.paymentCheckType === 'Check' && receipt.payerCheckNumber
      ? { payerCheckNumber: receipt.payerCheckNumber }
      : {}),
  };
}

/** What came back from one POST: an HTTP answer, or none (timeout, refused, reset, dropped). */
export type AmsAnswer = { kind: 'response'; status: number; body: unknown } | { kind: 'no_response'; reason: string };

export type AmsVerdict =
  | { outcome: 'sent'; amsReceiptId: string | null; note: string | null }
  | { outcome: 'retry'; reason: string }
  | { outcome: 'failed'; reason: string };

const RETRYABLE_STATUSES = new Set([408, 425, 429]);

/**
 * Reads the AMS's answer. 2xx (a replay of the same Idempotency-Key included) and a "duplicate
 * reference" conflict mean the receipt is there; no answer, 5xx and the transient 4xx are retried
 * with the same key; any other 4xx cannot succeed by repeating it and fails with the problem shown.
 */
export function judgeAmsAnswer(answer: AmsAnswer): AmsVerdict {
  if (answer.kind === 'no_response') return { outcome: 'retry', reason: `no answer: ${answer.reason}` };
  const { status, body } = answer;
  if (status >= 200 && status < 300) return { outcome: 'sent', amsReceiptId: receiptIdOf(body), note: null };
  if (status === 409 && isDuplicateReference(body)) {
    return { outcome: 'sent', amsReceiptId: receiptIdOf(body), note: 'the AMS already had this receipt' };
  }
  const detail = problemText(body);
  // A 409 that is not a duplicate is the AMS still working on the same key: ask again later.
  if (status >= 500 || status === 409 || RETRYABLE_STATUSES.has(status)) {
    return { outcome: 'retry', reason: `HTTP ${status}${detail ? `: ${detail}` : ''}` };
  }
  return { outcome: 'failed', reason: `HTTP ${status}${detail ? `: ${detail}` : ''}` };
}

function isDuplicateReference(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const fields = body as Record<string, unknown>;
  return [fields.code, fields.type, fields.title].some((v) => typeof v === 'string' && /duplicate/i.test(v));
}

function receiptIdOf(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const fields = body as Record<string, unknown>;
  for (const name of ['receiptId', 'receiptNumber', 'id']) {
    const value = fields[name];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return null;
}

/** A problem+json's detail (or title), or a short piece of whatever text came back. */
function problemText(body: unknown): string {
  if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    const text = [fields.title, fields.detail].filter((v) => typeof v === 'string').join(' — ');
    const errors = Array.isArray(fields.errors)
      ? fields.errors
          .map((e: { path?: unknown; message?: unknown } | null) =>
            e && typeof e === 'object' ? `${e.path ?? ''} ${e.message ?? ''}`.trim() : '',
          )
          .filter(Boolean)
          .join('; ')
      : '';
    const joined = [text, errors].filter(Boolean).join(' — ');
    if (joined) return joined.slice(0, 500);
  }
  return typeof body === 'string' ? body.slice(0, 200) : '';
}

/** Delays before each retry: quick at first (a blip), then hourly-ish; gives up after the last. */
const RETRY_DELAYS_MS = [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000];
const LATER_DELAY_MS = 2 * 3_600_000;
export const MAX_EXPORT_ATTEMPTS = 30;

/** When to try again after `attempts` tries, or null when it is time to give up and show it failed. */
export function nextExportAttempt(attempts: number, now: Date): Date | null {
  if (attempts >= MAX_EXPORT_ATTEMPTS) return null;
  const delay = RETRY_DELAYS_MS[attempts - 1] ?? LATER_DELAY_MS;
  return new Date(now.getTime() + delay);
}

export type LookupVerdict = { found: true; amsReceiptId: string | null } | { found: false } | { unknown: string };

/**
 * Reads `GET /receipt/customer?externalReference=…`: a non-empty list (bare or under `data`) means
 * the receipt is there; an empty list or 404 means it is not; anything else leaves it unknown, and
 * then nothing is posted (a blind re-post could duplicate it).
 */
export function judgeLookupAnswer(answer: AmsAnswer): LookupVerdict {
  if (answer.kind === 'no_response') return { unknown: `lookup got no answer: ${answer.reason}` };
  if (answer.status === 404) return { found: false };
  if (answer.status !== 200) return { unknown: `lookup answered HTTP ${answer.status}` };
  const body = answer.body as { data?: unknown } | unknown[] | null;
  const list = Array.isArray(body) ? body : Array.isArray(body?.data) ? body.data : null;
  if (!list) return { unknown: 'lookup answer is not a list' };
  return list.length === 0 ? { found: false } : { found: true, amsReceiptId: receiptIdOf(list[0]) };
}

/** One application of a receipt as the export reads it. */
export interface ExportApplication {
  invoiceId: string | null;
  appliedCents: Cents;
  onAccountCents: Cents;
}

/**
 * What stays of each application after `refundedCents` were refunded, taken back the way
 * `allocateRefund` does (On Account first, then invoices from the last): the AMS must get what
 * stays applied, not what was first collected. Items left at zero are dropped by the caller.
 */
export function netOfRefunds<T extends ExportApplication>(applications: readonly T[], refundedCents: Cents): T[] {
  if (refundedCents <= 0n) return [...applications];
  const onAccount = applications.reduce((sum, a) => sum + a.onAccountCents, 0n);
  const buckets = allocateRefund(
    onAccount,
    applications.flatMap((a) => (a.invoiceId ? [{ invoiceId: a.invoiceId, appliedCents: a.appliedCents }] : [])),
    0n,
    refundedCents,
  );
  const net = applications.map((a) => ({ ...a }));
  for (const bucket of buckets) {
    let left = bucket.cents;
    // From the last application back, matching how the refund unwound the ledger.
    for (let i = net.length - 1; i >= 0 && left > 0n; i--) {
      const item = net[i] as T;
      if (bucket.invoiceId === null) {
        const take = item.onAccountCents < left ? item.onAccountCents : left;
        item.onAccountCents -= take;
        left -= take;
      } else if (item.invoiceId === bucket.invoiceId) {
        const take = item.appliedCents < left ? item.appliedCents : left;
        item.appliedCents -= take;
        left -= take;
      }
    }
  }
  return net;
}
