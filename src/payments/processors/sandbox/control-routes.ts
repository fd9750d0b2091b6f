import type { IncomingMessage, ServerResponse } from 'node:http';
import { DAY_MS } from './clock.ts';
import type { SandboxContext } from './context.ts';
import { HttpError, optionalString, readJsonObject, requireString, sendJson } from './http.ts';
import { presentCharge, presentEvent } from './present.ts';

// /sandbox/…: what a test or the demo drives over HTTP (time, ACH returns, chargebacks, webhook
// redelivery), and what it reads back. A real processor has no such endpoints.

export async function controlRoute(
  ctx: SandboxContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  method: string,
): Promise<void> {
  const { state, clock, webhooks, control } = ctx;
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
    const event = control.returnCharge(requireString(body, 'processorReference', 100), requireString(body, 'code', 3));
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
}
