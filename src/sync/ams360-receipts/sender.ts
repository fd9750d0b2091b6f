import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { systemActor } from '../../kernel/actor.ts';
import { logActivity } from '../../platform/db/audit.ts';
import { type Db, inTransaction } from '../../platform/db/transaction.ts';
import { type AmsVerdict, judgeAmsAnswer, judgeLookupAnswer, nextExportAttempt } from '../rules/ams-receipt-export.ts';
import { lookupAmsReceipt, postAmsReceipt } from './client.ts';
import { type AmsEndpoint, amsEndpoint } from './connector.ts';

/** How long a claim keeps other senders away: longer than the longest allowed AMS timeout. */
const LEASE_MS = 3 * 60_000;
/** A disabled or removed connector parks its exports for this long before looking again. */
const PARKED_MS = 60 * 60_000;

export interface SendReport {
  claimed: number;
  sent: number;
  retrying: number;
  failed: number;
  parked: number;
}

interface Claimed {
  id: string;
  agencyId: string;
  claimId: string;
  attempts: number;
  /** An earlier attempt may have reached the AMS (this is not the first, or a failed one was retried). */
  triedBefore: boolean;
  receiptId: string;
  reference: string;
  idempotencyKey: string;
  body: unknown;
}

/**
 * Sends the exports that are due (new ones, retries whose time came, and claims whose sender died
 * with the lease). Each is (1) claimed in a short transaction that commits, (2) posted with no
 * transaction open, (3) recorded in a second transaction. A crash after (2) leaves the claim to
 * expire and the export to be sent again with the same Idempotency-Key, which the AMS replays.
 */
export async function sendDueAmsReceipts(
  db: Db,
  options: { now?: Date; limit?: number; concurrency?: number } = {},
): Promise<SendReport> {
  const now = options.now ?? new Date();
  const report: SendReport = { claimed: 0, sent: 0, retrying: 0, failed: 0, parked: 0 };
  const claimed = await claimDue(db, now, options.limit ?? 50);
  report.claimed = claimed.length;
  const endpoints = new Map<string, AmsEndpoint | null>();
  for (const agencyId of new Set(claimed.map((c) => c.agencyId)))
    endpoints.set(agencyId, await amsEndpoint(db, agencyId));

  const queue = [...claimed];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const outcome = await sendOne(db, next, endpoints.get(next.agencyId) ?? null, now);
      report[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return report;
}

/**
 * Posts the receipt; when the connector says the AMS de-duplicates nothing, a repeated attempt
 * (the earlier one's outcome was unknown) first asks the AMS whether the receipt arrived.
 */
async function deliver(
  endpoint: AmsEndpoint,
  claim: Claimed,
): Promise<{ verdict: AmsVerdict; httpStatus: number | null }> {
  if (endpoint.lookupByReference && claim.triedBefore) {
    const lookup = judgeLookupAnswer(await lookupAmsReceipt(endpoint, claim.reference));
    if ('unknown' in lookup) return { verdict: { outcome: 'retry', reason: lookup.unknown }, httpStatus: null };
    if (lookup.found) {
      return {
        verdict: {
          outcome: 'sent',
          amsReceiptId: lookup.amsReceiptId,
          note: 'found at the AMS by reference; not sent again',
        },
        httpStatus: null,
      };
    }
  }
  const answer = await postAmsReceipt(endpoint, claim);
  return { verdict: judgeAmsAnswer(answer), httpStatus: answer.kind === 'response' ? answer.status : null };
}

async function claimDue(db: Db, now: Date, limit: number): Promise<Claimed[]> {
  return inTransaction(db, async (tx) => {
    // SKIP LOCKED: exports another sender is claiming right now are left to it.
    const due = await tx
      .selectFrom('ams_receipt_exports')
      .select('id')
      .where('status', 'in', ['pending', 'sending'])
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    const claimed: Claimed[] = [];
    for (const { id } of due) {
      const claimId = randomUUID();
      const row = await tx
        .updateTable('ams_receipt_exports')
        .set({
          status: 'sending',
          claim_id: claimId,
          attempts: sql`attempts + 1`,
          next_attempt_at: new Date(now.getTime() + LEASE_MS),
          updated_at: now,
        })
        .where('id', '=', id)
        .returning([
          'id',
          'agency_id',
          'attempts',
          'last_http_status',
          'last_error',
          'receipt_id',
          'reference',
          'idempotency_key',
          'body',
        ])
        .executeTakeFirstOrThrow();
      claimed.push({
        id: row.id,
        agencyId: row.agency_id,
        claimId,
        attempts: row.attempts,
        triedBefore: row.attempts > 1 || row.last_http_status !== null || row.last_error !== null,
        receiptId: row.receipt_id,
        reference: row.reference,
        idempotencyKey: row.idempotency_key,
        body: row.body,
      });
    }
    return claimed;
  });
}

async function sendOne(
  db: Db,
  claim: Claimed,
  endpoint: AmsEndpoint | null,
  now: Date,
): Promise<'sent' | 'retrying' | 'failed' | 'parked'> {
  if (!endpoint?.enabled) {
    // Not an attempt: nothing was sent. The export waits for the connector to be turned back on.
    await db
      .updateTable('ams_receipt_exports')
      .set({
        status: 'pending',
        attempts: sql`attempts - 1`,
        next_attempt_at: new Date(now.getTime() + PARKED_MS),
        last_error: 'the AMS360 receipt connector is disabled or removed',
        updated_at: now,
      })
      .where('id', '=', claim.id)
      .where('claim_id', '=', claim.claimId)
      .execute();
    return 'parked';
  }
  const { verdict, httpStatus } = await deliver(endpoint, claim);
  // The clock for the outcome: the request may have taken a while.
  const at = new Date(Math.max(now.getTime(), Date.now()));
  return inTransaction(db, async (tx) => {
    if (verdict.outcome === 'sent') {
      // Success is the truth whoever learns it, even a sender whose lease ran out.
      await tx
        .updateTable('ams_receipt_exports')
        .set({
          status: 'sent',
          sent_at: at,
          next_attempt_at: null,
          claim_id: null,
          last_http_status: httpStatus,
          last_error: verdict.note,
          ams_receipt_id: verdict.amsReceiptId,
          updated_at: at,
        })
        .where('id', '=', claim.id)
        .where('status', '<>', 'sent')
        .execute();
      return 'sent';
    }
    const retryAt = verdict.outcome === 'retry' ? nextExportAttempt(claim.attempts, now) : null;
    const reason =
      verdict.outcome === 'retry' && !retryAt
        ? `gave up after ${claim.attempts} attempts: ${verdict.reason}`
        : verdict.reason;
    const updated = await tx
      .updateTable('ams_receipt_exports')
      .set({
        status: retryAt ? 'pending' : 'failed',
        next_attempt_at: retryAt,
        claim_id: null,
        last_http_status: httpStatus,
        last_error: reason,
        updated_at: at,
      })
      .where('id', '=', claim.id)
      .where('claim_id', '=', claim.claimId)
      .executeTakeFirst();
    if (retryAt) return 'retrying';
    // Someone has to act: say so where staff look at the customer, once, when it fails.
    if (updated.numUpdatedRows > 0n) {
      const receipt = await tx
        .selectFrom('receipts')
        .select('customer_id')
        .where('id', '=', claim.receiptId)
        .executeTakeFirstOrThrow();
      await logActivity(
        tx,
        systemActor(claim.agencyId, 'worker:ams360-receipts'),
        receipt.customer_id,
        'ams_receipt_export_failed',
        `Receipt ${claim.reference} could not be sent to AMS360: ${reason}`,
        { exportId: claim.id, reference: claim.reference },
      );
    }
    return 'failed';
  });
}
