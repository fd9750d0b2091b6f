import type { Clock } from './clock.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import type { SandboxEvent } from './state.ts';

/** The JSON body of a webhook: the same bytes on every delivery of one event. */
function eventBody(event: SandboxEvent): string {
  return JSON.stringify({
    id: event.id,
    object: 'event',
    type: event.type,
    createdAt: event.createdAt.toISOString(),
    data: {
      charge: event.data.charge,
      idempotencyKey: event.data.idempotencyKey,
      amountCents: event.data.amountCents.toString(),
      returnCode: event.data.returnCode,
    },
  });
}

export interface DeliveryAttempt {
  eventId: string;
  attempt: number;
  at: Date;
  /** The receiver's HTTP status, or null when the request failed. */
  status: number | null;
  error: string | null;
}

export interface WebhookSenderOptions {
  url: string | undefined;
  secret: string;
  /** Signs with this clock's time (the real one, not the advanced business time). */
  signingClock: Clock;
  /** Delays before the 2nd, 3rd, … attempt; the number of retries is this list's length. */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
}

/**
 * Delivers events to one URL: signed at each attempt, retried on a non-2xx answer or a network
 * error after each delay in `retryDelaysMs`, then given up. An event keeps its id and body across
 * retries and redeliveries, so the receiver can deduplicate.
 */
export class WebhookSender {
  url: string | undefined;
  readonly attempts: DeliveryAttempt[] = [];
  readonly delivered = new Set<string>();
  private readonly options: WebhookSenderOptions;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly stopping = new AbortController();
  private closed = false;

  constructor(options: WebhookSenderOptions) {
    this.options = options;
    this.url = options.url;
  }

  /** Starts delivering (no-op without a URL: the event stays in the sandbox's event list). */
  send(event: SandboxEvent): void {
    const url = this.url;
    if (!url || this.closed) return;
    const delivery = this.deliver(url, event).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  /** Resolves when every delivery started so far was accepted or given up. */
  async flush(): Promise<void> {
    // Deliveries never start others, so this ends; the bound is a guard.
    for (let i = 0; i < 1000 && this.inFlight.size > 0; i++) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops retrying and aborts deliveries in flight. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopping.abort();
    for (const sleeper of this.sleepers) {
      clearTimeout(sleeper.timer);
      sleeper.wake();
    }
    this.sleepers.clear();
    await this.flush();
  }

  private async deliver(url: string, event: SandboxEvent): Promise<void> {
    const body = eventBody(event);
    const attempts = 1 + this.options.retryDelaysMs.length;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await this.sleep(this.options.retryDelaysMs[attempt - 2]!);
      if (this.closed) return;
      const timestamp = Math.floor(this.options.signingClock.now().getTime() / 1000);
      const record: DeliveryAttempt = { eventId: event.id, attempt, at: new Date(), status: null, error: null };
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signatureHeader(this.options.secret, timestamp, body),
            'user-agent': 'policypay-sandbox',
          },
          body,
          signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeoutMs)]),
        });
        await response.arrayBuffer().catch(() => undefined);
        record.status = response.status;
      } catch (error) {
        record.error = (error as Error).message;
      }
      this.attempts.push(record);
      if (record.status !== null && record.status >= 200 && record.status < 300) {
        this.delivered.add(event.id);
        return;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const sleeper = {
        timer: setTimeout(() => {
          this.sleepers.delete(sleeper);
          resolve();
        }, ms),
        wake: resolve,
      };
      this.sleepers.add(sleeper);
    });
  }
}
