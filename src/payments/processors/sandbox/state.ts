import { randomBytes } from 'node:crypto';
import type { InstrumentKind, ProcessorEventType } from '../processor.ts';
import type { InstrumentDetails } from './instruments.ts';
import type { Behaviour } from './test-numbers.ts';

/**
 * The sandbox's ledger: tokens, charges (keyed by idempotency key, so tests can count real
 * charges), refunds, the stored replies of idempotent requests, and the events it emitted. Pure
 * bookkeeping: the caller passes `now`; HTTP and webhook delivery live elsewhere. Never holds a card
 * number or CVC: a token keeps what `instruments.ts` extracted.
 */

export interface TokenRecord extends InstrumentDetails {
  token: string;
  behaviour: Behaviour;
  createdAt: Date;
}

/**
 * `succeeded`: a card charge. `pending`: an ACH debit before settlement; then `settled` or
 * `returned`. `declined`: recorded like Stripe records a declined charge, but no money moved.
 */
type ChargeStatus = 'succeeded' | 'pending' | 'settled' | 'returned' | 'declined';

export interface ChargeRecord {
  id: string;
  idempotencyKey: string;
  token: string;
  kind: InstrumentKind;
  amountCents: bigint;
  currency: string;
  description: string;
  status: ChargeStatus;
  declineCode: string | null;
  declineMessage: string | null;
  retryable: boolean | null;
  createdAt: Date;
  /** ACH: when it settles (or is returned, for a return test account). */
  settleAt: Date | null;
  /** ACH: the return code the test account is returned with at settlement. */
  plannedReturnCode: string | null;
  settledAt: Date | null;
  returnedAt: Date | null;
  returnCode: string | null;
  refundedCents: bigint;
  disputedAt: Date | null;
}

export interface RefundRecord {
  id: string;
  idempotencyKey: string;
  chargeId: string;
  amountCents: bigint;
  reason: string | null;
  createdAt: Date;
}

export interface SandboxEvent {
  id: string;
  type: ProcessorEventType;
  createdAt: Date;
  data: { charge: string; idempotencyKey: string; amountCents: bigint; returnCode: string | null };
}

/** A reply kept for an idempotency key: the same key gets it again, verbatim. */
export interface StoredReply {
  fingerprint: string;
  statusCode: number;
  body: unknown;
}

export type Failure = { ok: false; status: number; code: string; message: string };

const failure = (status: number, code: string, message: string): Failure => ({ ok: false, status, code, message });

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * `tok_…`, `ch_…`: 24 random letters (~137 bits). Letters only, so no id ever holds a run of
 * digits that a scan for card numbers (13–19 Luhn-valid digits) would mistake for one.
 */
const newId = (prefix: string): string =>
  `${prefix}_${[...randomBytes(24)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('')}`;

export class SandboxState {
  readonly tokens = new Map<string, TokenRecord>();
  readonly charges = new Map<string, ChargeRecord>();
  readonly chargeIdsByKey = new Map<string, string>();
  readonly refunds = new Map<string, RefundRecord>();
  readonly replies = new Map<string, StoredReply>();
  readonly events: SandboxEvent[] = [];
  /** How far tests advanced the sandbox's clock (kept with the ledger in a state file). */
  clockOffsetMs = 0;

  addToken(details: InstrumentDetails, behaviour: Behaviour, now: Date): TokenRecord {
    const record: TokenRecord = { ...details, token: newId('tok'), behaviour, createdAt: now };
    this.tokens.set(record.token, record);
    return record;
  }

  chargeByKey(idempotencyKey: string): ChargeRecord | undefined {
    const id = this.chargeIdsByKey.get(idempotencyKey);
    return id === undefined ? undefined : this.charges.get(id);
  }

  /** Records a charge the token's behaviour decides. The caller checked the key was unused. */
  addCharge(
    input: { idempotencyKey: string; token: TokenRecord; amountCents: bigint; currency: string; description: string },
    now: Date,
    settlementDays: number,
  ): ChargeRecord {
    const { token } = input;
    const behaviour = token.behaviour;
    const record: ChargeRecord = {
      id: newId('ch'),
      idempotencyKey: input.idempotencyKey,
      token: token.token,
      kind: token.kind,
      amountCents: input.amountCents,
      currency: input.currency,
      description: input.description,
      status: token.kind === 'ach' ? 'pending' : 'succeeded',
      declineCode: null,
      declineMessage: null,
      retryable: null,
      createdAt: now,
      settleAt: token.kind === 'ach' ? new Date(now.getTime() + settlementDays * 86_400_000) : null,
      plannedReturnCode: behaviour.kind === 'return' ? behaviour.code : null,
      settledAt: null,
      returnedAt: null,
      returnCode: null,
      refundedCents: 0n,
      disputedAt: null,
    };
    if (behaviour.kind === 'decline') {
      record.status = 'declined';
      record.declineCode = behaviour.code;
      record.declineMessage = behaviour.message;
      record.retryable = behaviour.retryable;
    }
    this.charges.set(record.id, record);
    this.chargeIdsByKey.set(record.idempotencyKey, record.id);
    return record;
  }

  addRefund(
    input: { idempotencyKey: string; chargeId: string; amountCents: bigint | undefined; reason: string | null },
    now: Date,
  ): { ok: true; refund: RefundRecord } | Failure {
    const charge = this.charges.get(input.chargeId);
    if (!charge) return failure(404, 'no_such_charge', 'no charge with this id');
    if (charge.status === 'pending')
      return failure(400, 'charge_not_settled', 'an ACH debit is refundable once settled');
    if (charge.status !== 'succeeded' && charge.status !== 'settled') {
      return failure(400, 'charge_not_refundable', `a ${charge.status} charge cannot be refunded`);
    }
    if (charge.disputedAt) return failure(400, 'charge_disputed', 'a disputed charge cannot be refunded');
    const remaining = charge.amountCents - charge.refundedCents;
    const amountCents = input.amountCents ?? remaining;
    if (amountCents <= 0n || amountCents > remaining) {
      return failure(400, 'amount_too_large', `at most ${remaining} cents of this charge are refundable`);
    }
    charge.refundedCents += amountCents;
    const refund: RefundRecord = {
      id: newId('re'),
      idempotencyKey: input.idempotencyKey,
      chargeId: charge.id,
      amountCents,
      reason: input.reason,
      createdAt: now,
    };
    this.refunds.set(refund.id, refund);
    return { ok: true, refund };
  }

  /** Settles (or returns, for a return test account) every ACH debit whose settlement date came. */
  settleDue(now: Date): SandboxEvent[] {
    const due = [...this.charges.values()]
      .filter((c) => c.status === 'pending' && c.settleAt !== null && c.settleAt.getTime() <= now.getTime())
      .sort((a, b) => a.settleAt!.getTime() - b.settleAt!.getTime() || a.createdAt.getTime() - b.createdAt.getTime());
    return due.map((charge) => {
      if (charge.plannedReturnCode) return this.markReturned(charge, charge.plannedReturnCode, now);
      charge.status = 'settled';
      charge.settledAt = now;
      return this.addEvent('payment.settled', charge, now);
    });
  }

  /** An ACH return now: before settlement, or a late one (R10 may come 60 days after). */
  returnCharge(chargeId: string, code: string, now: Date): { ok: true; event: SandboxEvent } | Failure {
    const charge = this.charges.get(chargeId);
    if (!charge) return failure(404, 'no_such_charge', 'no charge with this id');
    if (charge.kind !== 'ach') return failure(400, 'not_ach', 'only an ACH debit can be returned');
    if (charge.status !== 'pending' && charge.status !== 'settled') {
      return failure(409, 'charge_not_returnable', `a ${charge.status} debit cannot be returned`);
    }
    return { ok: true, event: this.markReturned(charge, code, now) };
  }

  chargeback(chargeId: string, now: Date): { ok: true; event: SandboxEvent } | Failure {
    const charge = this.charges.get(chargeId);
    if (!charge) return failure(404, 'no_such_charge', 'no charge with this id');
    if (charge.status !== 'succeeded' && charge.status !== 'settled') {
      return failure(409, 'charge_not_disputable', `a ${charge.status} charge cannot be disputed`);
    }
    if (charge.disputedAt) return failure(409, 'charge_already_disputed', 'this charge is already disputed');
    charge.disputedAt = now;
    return { ok: true, event: this.addEvent('payment.chargeback', charge, now) };
  }

  private markReturned(charge: ChargeRecord, code: string, now: Date): SandboxEvent {
    charge.status = 'returned';
    charge.returnedAt = now;
    charge.returnCode = code;
    return this.addEvent('payment.returned', charge, now);
  }

  private addEvent(type: ProcessorEventType, charge: ChargeRecord, now: Date): SandboxEvent {
    const event: SandboxEvent = {
      id: newId('evt'),
      type,
      createdAt: now,
      data: {
        charge: charge.id,
        idempotencyKey: charge.idempotencyKey,
        amountCents: type === 'payment.chargeback' ? charge.amountCents - charge.refundedCents : charge.amountCents,
        returnCode: type === 'payment.returned' ? charge.returnCode : null,
      },
    };
    this.events.push(event);
    return event;
  }

  /** The whole ledger as JSON (dates and bigints tagged), for the optional state file. */
  serialize(): string {
    return JSON.stringify(
      {
        version: 1,
        clockOffsetMs: this.clockOffsetMs,
        tokens: [...this.tokens.values()],
        charges: [...this.charges.values()],
        refunds: [...this.refunds.values()],
        replies: [...this.replies.entries()],
        events: this.events,
      },
      function (this: Record<string, unknown>, key: string, value: unknown) {
        const raw = this[key];
        if (raw instanceof Date) return { $date: raw.toISOString() };
        if (typeof value === 'bigint') return { $bigint: value.toString() };
        return value;
      },
    );
  }

  static restore(json: string): SandboxState {
    const data = JSON.parse(json, (_key, value: unknown) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const tagged = value as { $date?: unknown; $bigint?: unknown };
        if (typeof tagged.$date === 'string') return new Date(tagged.$date);
        if (typeof tagged.$bigint === 'string') return BigInt(tagged.$bigint);
      }
      return value;
    }) as {
      version: number;
      clockOffsetMs: number;
      tokens: TokenRecord[];
      charges: ChargeRecord[];
      refunds: RefundRecord[];
      replies: [string, StoredReply][];
      events: SandboxEvent[];
    };
    if (data.version !== 1) throw new Error(`unsupported sandbox state version ${data.version}`);
    const state = new SandboxState();
    state.clockOffsetMs = data.clockOffsetMs;
    for (const t of data.tokens) state.tokens.set(t.token, t);
    for (const c of data.charges) {
      state.charges.set(c.id, c);
      state.chargeIdsByKey.set(c.idempotencyKey, c.id);
    }
    for (const r of data.refunds) state.refunds.set(r.id, r);
    for (const [key, reply] of data.replies) state.replies.set(key, reply);
    state.events.push(...data.events);
    return state;
  }
}
