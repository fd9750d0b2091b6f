import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, DAY_MS, SandboxClock, systemClock } from './clock.ts';
import {
  corsHeaders,
  errorBody,
  HttpError,
  optionalString,
  parseAmount,
  readJsonObject,
  requireString,
  sendJson,
} from './http.ts';
import { tokenizable } from './instruments.ts';
import { presentCharge, presentDecline, presentEvent, presentRefund, presentToken } from './present.ts';
import {
  type ChargeRecord,
  type Failure,
  type RefundRecord,
  type SandboxEvent,
  SandboxState,
  type StoredReply,
} from './state.ts';
import { type DeliveryAttempt, WebhookSender } from './webhooks.ts';

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Where events are POSTed; without one they are only listed (`events()`, `GET /sandbox/events`). */
  webhookUrl?: string | undefined;
  webhookSecret: string;
  /** The base clock (default: the system's). `advanceClock` moves the sandbox's time past it. */
  clock?: Clock;
  /** Calendar days from an ACH debit to its settlement or return (default 3). */
  settlementDays?: number;
  /** Delays before each webhook retry (default 1 s, 5 s, 30 s, 2 min, 10 min). */
  webhookRetryDelaysMs?: readonly number[];
  webhookTimeoutMs?: number;
  /** The lost-response card: destroy the socket (default), or hang until the client gives up. */
  lostResponse?: 'destroy' | 'hang';
  /** Origins allowed to call the tokenize endpoints from a browser (default: any loopback origin). */
  corsOrigins?: '*' | readonly string[];
  /** Keep the ledger in this JSON file across restarts (tokens, charges, refunds, events). */
  stateFile?: string;
}

export interface Sandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Every charge the sandbox recorded (declines included), or the one made with this key. */
  charges(idempotencyKey?: string): ChargeRecord[];
  /** Charges that moved money (not declined), all or for this key: the "real charges" count. */
  chargeCount(idempotencyKey?: string): number;
  refunds(): RefundRecord[];
  events(): SandboxEvent[];
  deliveries(): DeliveryAttempt[];
  /** The sandbox's business time (base clock + advances). */
  now(): Date;
  /** Moves business time forward, settles or returns the ACH debits that came due, sends their webhooks. */
  advanceClock(ms: number): SandboxEvent[];
  advanceDays(days: number): SandboxEvent[];
  /** An ACH return now (pending or settled debit); code like R01. */
  returnCharge(processorReference: string, code: string): SandboxEvent;
  chargeback(processorReference: string): SandboxEvent;
  /** Sends an event again, same id and body: what a processor does when unsure it was received. */
  redeliver(eventId: string): void;
  /** Resolves when every webhook delivery started so far succeeded or was given up. */
  flushWebhooks(): Promise<void>;
  setWebhookUrl(url: string | undefined): void;
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];
const HANG_LIMIT_MS = 5 * 60_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function failed(result: Failure): never {
  throw new HttpError(result.status, result.code, result.message);
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  if (!options.webhookSecret) throw new Error('the sandbox needs a webhookSecret to sign its webhooks');
  const settlementDays = options.settlementDays ?? 3;
  if (!Number.isInteger(settlementDays) || settlementDays < 0) throw new RangeError('settlementDays must be ≥ 0');
  const baseClock = options.clock ?? systemClock;
  let state = new SandboxState();
  if (options.stateFile) {
    const json = await readFile(options.stateFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (json) state = SandboxState.restore(json);
  }
  const clock = new SandboxClock(baseClock, state.clockOffsetMs);
  const webhooks = new WebhookSender({
    url: options.webhookUrl,
    secret: options.webhookSecret,
    signingClock: baseClock,
    retryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
  });
  const hanging = new Set<IncomingMessage>();

  const persist = () => {
    if (!options.stateFile) return;
    state.clockOffsetMs = clock.offsetMs;
    const tmp = `${options.stateFile}.tmp`;
    writeFileSync(tmp, state.serialize());
    renameSync(tmp, options.stateFile);
  };

  const emit = (events: SandboxEvent[]) => {
    persist();
    for (const event of events) webhooks.send(event);
    return events;
  };

  const chargesFor = (idempotencyKey: string | undefined): ChargeRecord[] => {
    if (idempotencyKey === undefined) return [...state.charges.values()];
    const charge = state.chargeByKey(idempotencyKey);
    return charge ? [charge] : [];
  };

  const chargeFor = (reference: string) => {
    const charge = state.charges.get(reference);
    if (!charge) throw new HttpError(404, 'no_such_charge', 'no charge with this id');
    return charge;
  };

  const control = {
    advanceClock(ms: number): SandboxEvent[] {
      const now = clock.advance(ms);
      return emit(state.settleDue(now));
    },
    returnCharge(reference: string, code: string): SandboxEvent {
      if (!/^R\d{2}$/.test(code)) throw new HttpError(400, 'invalid_return_code', 'code must be a NACHA code like R01');
      const result = state.returnCharge(reference, code, clock.now());
      if (!result.ok) failed(result);
      return emit([result.event])[0]!;
    },
    chargeback(reference: string): SandboxEvent {
      const result = state.chargeback(reference, clock.now());
      if (!result.ok) failed(result);
      return emit([result.event])[0]!;
    },
    redeliver(eventId: string): void {
      const event = state.events.find((e) => e.id === eventId);
      if (!event) throw new HttpError(404, 'no_such_event', 'no event with this id');
      webhooks.send(event);
    },
  };

  /** Replays the reply stored for this key, refuses the key with other parameters, or runs `work`. */
  const idempotent = (
    req: IncomingMessage,
    res: ServerResponse,
    fingerprint: string,
    work: () => { reply: StoredReply; store: boolean; after?: 'lose_response' },
  ) => {
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
      throw new HttpError(400, 'idempotency_key_required', 'an Idempotency-Key header (1–255 characters) is required');
    }
    const stored = state.replies.get(key);
    if (stored) {
      if (stored.fingerprint !== fingerprint) {
        throw new HttpError(400, 'idempotency_key_reused', 'this Idempotency-Key was used with other parameters');
      }
      return sendJson(res, stored.statusCode, stored.body, { 'idempotent-replayed': 'true' });
    }
    const { reply, store, after } = work();
    if (store) {
      state.replies.set(key, reply);
      persist();
    }
    if (after === 'lose_response') return loseResponse(req, res);
    sendJson(res, reply.statusCode, reply.body);
  };

  const loseResponse = (req: IncomingMessage, res: ServerResponse) => {
    if (options.lostResponse === 'hang') {
      hanging.add(req);
      const timer = setTimeout(() => req.socket.destroy(), HANG_LIMIT_MS);
      timer.unref();
      req.socket.once('close', () => {
        clearTimeout(timer);
        hanging.delete(req);
      });
      return;
    }
    res.socket?.destroy();
  };

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const tokenPath = /^\/v1\/tokens(?:\/([A-Za-z0-9_]+))?$/.exec(path);
    if (tokenPath) {
      const cors = corsHeaders(req.headers.origin, options.corsOrigins);
      if (method === 'OPTIONS') {
        res.writeHead(204, cors);
        return void res.end();
      }
      if (method === 'POST' && !tokenPath[1]) {
        const result = tokenizable(await readJsonObject(req), clock.now());
        if (!result.ok) {
          const { code, param, message } = result.error;
          return sendJson(res, 400, errorBody('invalid_request_error', code, message, { param }), cors);
        }
        const token = state.addToken(result.details, result.behaviour, clock.now());
        persist();
        return sendJson(res, 200, presentToken(token), cors);
      }
      if (method === 'GET' && tokenPath[1]) {
        const token = state.tokens.get(tokenPath[1]);
        if (!token) throw new HttpError(404, 'no_such_token', 'no token with this id');
        return sendJson(res, 200, presentToken(token), cors);
      }
    }

    if (path === '/v1/charges' && method === 'POST') {
      const body = await readJsonObject(req);
      const params = {
        token: requireString(body, 'token', 100),
        amountCents: parseAmount(body.amountCents, 'amountCents'),
        currency: requireString(body, 'currency', 3).toLowerCase(),
        description: optionalString(body, 'description') ?? '',
      };
      if (!/^[a-z]{3}$/.test(params.currency)) {
        throw new HttpError(400, 'invalid_currency', 'currency must be a three-letter code', 'currency');
      }
      const fingerprint = JSON.stringify([
        'charge',
        params.token,
        `${params.amountCents}`,
        params.currency,
        params.description,
      ]);
      return idempotent(req, res, fingerprint, () => {
        const token = state.tokens.get(params.token);
        if (!token) throw new HttpError(400, 'no_such_token', 'no token with this id', 'token');
        // 503 before anything is recorded: the same key may be retried and will 503 again.
        if (token.behaviour.kind === 'unavailable') {
          throw new HttpError(503, 'service_unavailable', 'the sandbox is unavailable for this card (test number)');
        }
        const key = req.headers['idempotency-key'] as string;
        const charge = state.addCharge({ ...params, idempotencyKey: key, token }, clock.now(), settlementDays);
        const reply: StoredReply =
          charge.status === 'declined'
            ? { fingerprint, statusCode: 402, body: presentDecline(charge) }
            : { fingerprint, statusCode: 200, body: presentCharge(charge) };
        return { reply, store: true, ...(token.behaviour.kind === 'lose_response' ? { after: 'lose_response' } : {}) };
      });
    }

    if (path === '/v1/charges' && method === 'GET') {
      const key = url.searchParams.get('idempotency_key');
      if (!key) throw new HttpError(400, 'invalid_request', 'idempotency_key is required', 'idempotency_key');
      const charge = state.chargeByKey(key);
      return sendJson(res, 200, { object: 'list', data: charge ? [presentCharge(charge)] : [] });
    }

    const chargePath = /^\/v1\/charges\/([A-Za-z0-9_]+)$/.exec(path);
    if (chargePath && method === 'GET') return sendJson(res, 200, presentCharge(chargeFor(chargePath[1]!)));

    if (path === '/v1/refunds' && method === 'POST') {
      const body = await readJsonObject(req);
      const chargeId = requireString(body, 'charge', 100);
      const amountCents = body.amountCents === undefined ? undefined : parseAmount(body.amountCents, 'amountCents');
      const reason = optionalString(body, 'reason');
      const fingerprint = JSON.stringify(['refund', chargeId, amountCents?.toString() ?? null, reason]);
      return idempotent(req, res, fingerprint, () => {
        const key = req.headers['idempotency-key'] as string;
        const result = state.addRefund({ idempotencyKey: key, chargeId, amountCents, reason }, clock.now());
        const reply: StoredReply = result.ok
          ? { fingerprint, statusCode: 200, body: presentRefund(result.refund) }
          : {
              fingerprint,
              statusCode: result.status,
              body: errorBody('invalid_request_error', result.code, result.message),
            };
        return { reply, store: true };
      });
    }

    if (path.startsWith('/sandbox/')) return sandboxRoutes(req, res, path, method);
    throw new HttpError(404, 'not_found', 'no such endpoint');
  };

  const sandboxRoutes = async (req: IncomingMessage, res: ServerResponse, path: string, method: string) => {
    if (method === 'GET' && path === '/sandbox/events') {
      return sendJson(res, 200, {
        object: 'list',
        data: state.events.map((e) => ({ ...presentEvent(e), delivered: webhooks.delivered.has(e.id) })),
      });
    }
    if (method === 'GET' && path === '/sandbox/charges') {
      return sendJson(res, 200, { object: 'list', data: [...state.charges.values()].map(presentCharge) });
    }
    if (method !== 'POST') throw new HttpError(404, 'not_found', 'no such endpoint');
    const body = await readJsonObject(req);
    if (path === '/sandbox/advance') {
      const parts = { days: DAY_MS, hours: 3_600_000, minutes: 60_000, ms: 1 } as const;
      let ms = 0;
      for (const [name, unit] of Object.entries(parts)) {
        const value = body[name];
        if (value === undefined) continue;
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new HttpError(400, 'invalid_request', `${name} must be a number ≥ 0`, name);
        }
        ms += value * unit;
      }
      const events = control.advanceClock(ms);
      return sendJson(res, 200, { now: clock.now().toISOString(), events: events.map(presentEvent) });
    }
    if (path === '/sandbox/return') {
      const event = control.returnCharge(
        requireString(body, 'processorReference', 100),
        requireString(body, 'code', 3),
      );
      return sendJson(res, 200, { event: presentEvent(event) });
    }
    if (path === '/sandbox/chargeback') {
      const event = control.chargeback(requireString(body, 'processorReference', 100));
      return sendJson(res, 200, { event: presentEvent(event) });
    }
    const redeliver = /^\/sandbox\/events\/([A-Za-z0-9_]+)\/redeliver$/.exec(path);
    if (redeliver) {
      control.redeliver(redeliver[1]!);
      return sendJson(res, 202, { redelivering: redeliver[1] });
    }
    if (path === '/sandbox/flush') {
      await webhooks.flush();
      return sendJson(res, 200, { flushed: true });
    }
    if (path === '/sandbox/webhook-url') {
      const url = optionalString(body, 'url', 2000);
      if (url !== null && !URL.canParse(url)) throw new HttpError(400, 'invalid_request', 'url must be a URL', 'url');
      webhooks.url = url ?? undefined;
      return sendJson(res, 200, { url });
    }
    throw new HttpError(404, 'not_found', 'no such endpoint');
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    routes(req, res, url).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof HttpError) {
        const type = error.status >= 500 ? 'api_error' : 'invalid_request_error';
        const extra = error.param ? { param: error.param } : {};
        return sendJson(res, error.status, errorBody(type, error.code, error.message, extra));
      }
      // A bug: log where, but neither the message nor the request (either may hold a card number).
      const frames = error instanceof Error ? (error.stack ?? '').split('\n').slice(1, 6).join('\n') : '';
      console.error(`policypay sandbox: internal error (${(error as Error)?.name ?? typeof error})\n${frames}`);
      sendJson(res, 500, errorBody('api_error', 'internal_error', 'the sandbox failed to handle this request'));
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    async close() {
      await webhooks.close();
      for (const req of hanging) req.socket.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    charges: (idempotencyKey) => chargesFor(idempotencyKey).map((c) => structuredClone(c)),
    chargeCount: (idempotencyKey) => chargesFor(idempotencyKey).filter((c) => c.status !== 'declined').length,
    refunds: () => [...state.refunds.values()].map((r) => structuredClone(r)),
    events: () => state.events.map((e) => structuredClone(e)),
    deliveries: () => webhooks.attempts.map((a) => ({ ...a })),
    now: () => clock.now(),
    advanceClock: (ms) => control.advanceClock(ms),
    advanceDays: (days) => control.advanceClock(days * DAY_MS),
    returnCharge: (reference, code) => control.returnCharge(reference, code),
    chargeback: (reference) => control.chargeback(reference),
    redeliver: (eventId) => control.redeliver(eventId),
    flushWebhooks: () => webhooks.flush(),
    setWebhookUrl(url) {
      webhooks.url = url;
    },
  };
}
