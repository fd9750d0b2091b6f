import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signSyncWebhook } from '../rules/signature.ts';

export type Fault = '500' | 'timeout' | 'die' | 'lose-answer';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface DoubleEvent {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

export type Handler = (
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
) => Promise<{ status: number; body: unknown }>;

/**
 * The HTTP side shared by the AMS and benefits doubles: a real server on a loopback port, an
 * auth header check, injected faults (the next requests answer 500, hang until the client gives
 * up, or the server dies and stays down until `restart()`), and signed webhook delivery.
 */
export class DoubleServer {
  readonly #name: string;
  readonly #auth: { header: string; value: string };
  readonly #handler: Handler;
  #server: Server | null = null;
  #port = 0;
  #faults: { fault: Fault; pathPrefix: string | undefined }[] = [];
  #dieAfter: { requests: number; pathPrefix: string | undefined } | null = null;
  #webhook: WebhookTarget | null = null;
  #autoDeliver = true;
  #eventCount = 0;
  readonly events: DoubleEvent[] = [];
  requests = 0;

  constructor(name: string, auth: { header: string; value: string }, handler: Handler) {
    this.#name = name;
    this.#auth = auth;
    this.#handler = handler;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get running(): boolean {
    return this.#server !== null;
  }

  async start(port = 0): Promise<string> {
    const server = createServer((request, response) => void this.#serve(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port || this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this.url;
  }

  /** Comes back on the same port after `die`. */
  async restart(): Promise<void> {
    if (!this.#server) await this.start(this.#port);
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * The next `times` requests (to paths starting with `pathPrefix`, if given) meet `fault`: an
   * HTTP 500, no answer at all, the server dying, or the request done but its answer lost.
   */
  inject(fault: Fault, times = 1, pathPrefix?: string): void {
    for (let i = 0; i < times; i++) this.#faults.push({ fault, pathPrefix });
  }

  /** After `requests` more successful requests (to `pathPrefix`), the server dies. */
  dieAfter(requests: number, pathPrefix?: string): void {
    this.#dieAfter = { requests, pathPrefix };
  }

  /** Injected faults not met yet. */
  get pendingFaults(): number {
    return this.#faults.length;
  }

  clearFaults(): void {
    this.#faults = [];
    this.#dieAfter = null;
  }

  /** Where events go; with `autoDeliver` false they are only recorded (tests deliver them). */
  setWebhook(target: WebhookTarget | null, autoDeliver = true): void {
    this.#webhook = target;
    this.#autoDeliver = autoDeliver;
  }

  emit(type: string, data: Record<string, unknown>): DoubleEvent {
    const event = {
      id: `evt_${this.#name}_${++this.#eventCount}`,
      type,
      occurredAt: new Date().toISOString(),
      data: structuredClone(data),
    };
    this.events.push(event);
    if (this.#webhook && this.#autoDeliver) void this.deliver(event).catch(() => undefined);
    return event;
  }

  /** Sends one event to the webhook, retrying a few times like a real system would. */
  async deliver(event: DoubleEvent, options: { attempts?: number } = {}): Promise<number> {
    const target = this.#webhook;
    if (!target) throw new Error(`${this.#name} double has no webhook target`);
    const body = JSON.stringify(event);
    let status = 0;
    for (let attempt = 0; attempt < (options.attempts ?? 3); attempt++) {
      try {
        const response = await fetch(target.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-sync-signature': signSyncWebhook(target.secret, body, new Date()),
          },
          body,
        });
        status = response.status;
        await response.arrayBuffer();
        if (status < 500) return status;
      } catch {
        status = 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
    }
    return status;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://double');
    const matches = (prefix: string | undefined) => prefix === undefined || url.pathname.startsWith(prefix);
    const faultIndex = this.#faults.findIndex((f) => matches(f.pathPrefix));
    if (faultIndex >= 0) {
      const fault = this.#faults.splice(faultIndex, 1)[0]?.fault;
      if (fault === '500') return send(response, 500, { error: 'injected failure' });
      if (fault === 'timeout') return; // never answers; the client's timeout ends it
      if (fault === 'die') {
        await this.stop();
        return;
      }
    }
    if (this.#dieAfter && matches(this.#dieAfter.pathPrefix)) {
      if (this.#dieAfter.requests <= 0) {
        this.#dieAfter = null;
        await this.stop();
        return;
      }
      this.#dieAfter.requests--;
    }
    if (request.headers[this.#auth.header.toLowerCase()] !== this.#auth.value) {
      return send(response, 401, { error: 'unauthorized' });
    }
    let body: unknown;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(response, 400, { error: 'body is not JSON' });
    }
    this.requests++;
    try {
      const result = await this.#handler(request.method ?? 'GET', url.pathname, url.searchParams, body);
      // The request took effect but the answer never arrives (the client sees a reset connection).
      if (faultIndex >= 0) return void response.socket?.destroy();
      send(response, result.status, result.body);
    } catch (error) {
      send(response, 500, { error: (error as Error).message });
    }
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export const ok = (body: unknown, status = 200) => ({ status, body });
export const notFound = () => ({ status: 404, body: { error: 'not found' } });
export const invalid = (message: string) => ({ status: 422, body: { error: message } });
