import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from './context.ts';
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
import { presentCharge, presentDecline, presentRefund, presentToken } from './present.ts';
import type { StoredReply } from './state.ts';

// The processor API the sandbox adapter and the browser call: tokens, charges, refunds. The
// control routes a test drives (/sandbox/…) are in control-routes.ts.

const HANG_LIMIT_MS = 5 * 60_000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Answers a processor API request; false when the path and method name no API endpoint. */
export async function apiRoute(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const { state, clock } = ctx;
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const tokenPath = /^\/v1\/tokens(?:\/([A-Za-z0-9_]+))?$/.exec(path);
  if (tokenPath) {
    const cors = corsHeaders(req.headers.origin, ctx.corsOrigins);
    if (method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return true;
    }
    if (method === 'POST' && !tokenPath[1]) {
      const result = tokenizable(await readJsonObject(req), clock.now());
      if (!result.ok) {
        const { code, param, message } = result.error;
        sendJson(res, 400, errorBody('invalid_request_error', code, message, { param }), cors);
        return true;
      }
      const token = state.addToken(result.details, result.behaviour, clock.now());
      ctx.persist();
      sendJson(res, 200, presentToken(token), cors);
      return true;
    }
    if (method === 'GET' && tokenPath[1]) {
      const token = state.tokens.get(tokenPath[1]);
      if (!token) throw new HttpError(404, 'no_such_token', 'no token with this id');
      sendJson(res, 200, presentToken(token), cors);
      return true;
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
    idempotent(ctx, req, res, fingerprint, () => {
      const token = state.tokens.get(params.token);
      if (!token) throw new HttpError(400, 'no_such_token', 'no token with this id', 'token');
      // 503 before anything is recorded: the same key may be retried and will 503 again.
      if (token.behaviour.kind === 'unavailable') {
        throw new HttpError(503, 'service_unavailable', 'the sandbox is unavailable for this card (test number)');
      }
      const key = req.headers['idempotency-key'] as string;
      const charge = state.addCharge({ ...params, idempotencyKey: key, token }, clock.now(), ctx.settlementDays);
      const reply: StoredReply =
        charge.status === 'declined'
          ? { fingerprint, statusCode: 402, body: presentDecline(charge) }
          : { fingerprint, statusCode: 200, body: presentCharge(charge) };
      return { reply, store: true, ...(token.behaviour.kind === 'lose_response' ? { after: 'lose_response' } : {}) };
    });
    return true;
  }

  if (path === '/v1/charges' && method === 'GET') {
    const key = url.searchParams.get('idempotency_key');
    if (!key) throw new HttpError(400, 'invalid_request', 'idempotency_key is required', 'idempotency_key');
    const charge = state.chargeByKey(key);
    sendJson(res, 200, { object: 'list', data: charge ? [presentCharge(charge)] : [] });
    return true;
  }

  const chargePath = /^\/v1\/charges\/([A-Za-z0-9_]+)$/.exec(path);
  if (chargePath && method === 'GET') {
    const charge = state.charges.get(chargePath[1]!);
    if (!charge) throw new HttpError(404, 'no_such_charge', 'no charge with this id');
    sendJson(res, 200, presentCharge(charge));
    return true;
  }

  if (path === '/v1/refunds' && method === 'POST') {
    const body = await readJsonObject(req);
    const chargeId = requireString(body, 'charge', 100);
    const amountCents = body.amountCents === undefined ? undefined : parseAmount(body.amountCents, 'amountCents');
    const reason = optionalString(body, 'reason');
    const fingerprint = JSON.stringify(['refund', chargeId, amountCents?.toString() ?? null, reason]);
    idempotent(ctx, req, res, fingerprint, () => {
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
    return true;
  }
  return false;
}

/** Replays the reply stored for this key, refuses the key with other parameters, or runs `work`. */
function idempotent(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  fingerprint: string,
  work: () => { reply: StoredReply; store: boolean; after?: 'lose_response' },
): void {
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new HttpError(400, 'idempotency_key_required', 'an Idempotency-Key header (1–255 characters) is required');
  }
  const stored = ctx.state.replies.get(key);
  if (stored) {
    if (stored.fingerprint !== fingerprint) {
      throw new HttpError(400, 'idempotency_key_reused', 'this Idempotency-Key was used with other parameters');
    }
    sendJson(res, stored.statusCode, stored.body, { 'idempotent-replayed': 'true' });
    return;
  }
  const { reply, store, after } = work();
  if (store) {
    ctx.state.replies.set(key, reply);
    ctx.persist();
  }
  if (after === 'lose_response') loseResponse(ctx, req, res);
  else sendJson(res, reply.statusCode, reply.body);
}

/** The lost-response card: charged and stored, but the answer never arrives. */
function loseResponse(ctx: SandboxContext, req: IncomingMessage, res: ServerResponse): void {
  if (ctx.lostResponse === 'hang') {
    ctx.hanging.add(req);
    const timer = setTimeout(() => req.socket.destroy(), HANG_LIMIT_MS);
    timer.unref();
    req.socket.once('close', () => {
      clearTimeout(timer);
      ctx.hanging.delete(req);
    });
    return;
  }
  res.socket?.destroy();
}
