import { renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultLogger, type Logger } from '../../../platform/log/logger.ts';
import { apiRoute } from './api-routes.ts';
import { type Clock, DAY_MS, SandboxClock, systemClock } from './clock.ts';
import type { SandboxContext } from './context.ts';
import { sandboxControl } from './control.ts';
import { controlRoute } from './control-routes.ts';
import { errorBody, HttpError, sendJson } from './http.ts';
import { type ChargeRecord, type RefundRecord, type SandboxEvent, SandboxState } from './state.ts';
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
  /** Where its own failures are logged (default: warnings and errors on stderr). */
  logger?: Logger;
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

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  if (!options.webhookSecret) throw new Error('the sandbox needs a webhookSecret to sign its webhooks');
  const settlementDays = options.settlementDays ?? 3;
  const logger = options.logger ?? defaultLogger();
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

  const control = sandboxControl(state, clock, webhooks, emit);
  const ctx: SandboxContext = {
    state,
    clock,
    webhooks,
    control,
    settlementDays,
    lostResponse: options.lostResponse,
    corsOrigins: options.corsOrigins,
    hanging: new Set<IncomingMessage>(),
    persist,
  };

  const routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (await apiRoute(ctx, req, res, url)) return;
    if (url.pathname.startsWith('/sandbox/')) return controlRoute(ctx, req, res, url.pathname, req.method ?? 'GET');
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
      logger.error({ errorType: (error as Error)?.name ?? typeof error, frames }, 'sandbox: internal error');
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
      for (const req of ctx.hanging) req.socket.destroy();
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
