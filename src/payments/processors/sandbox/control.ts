import type { SandboxClock } from './clock.ts';
import { HttpError } from './http.ts';
import type { Failure, SandboxEvent, SandboxState } from './state.ts';
import type { WebhookSender } from './webhooks.ts';

/** What a test (or `POST /sandbox/…`) does to the sandbox that a real processor does on its own. */
export interface SandboxControl {
  advanceClock(ms: number): SandboxEvent[];
  returnCharge(reference: string, code: string): SandboxEvent;
  chargeback(reference: string): SandboxEvent;
  redeliver(eventId: string): void;
}

function failed(result: Failure): never {
  throw new HttpError(result.status, result.code, result.message);
}

/** `emit` persists the ledger and sends the events' webhooks, so every change is saved before it is told. */
export function sandboxControl(
  state: SandboxState,
  clock: SandboxClock,
  webhooks: WebhookSender,
  emit: (events: SandboxEvent[]) => SandboxEvent[],
): SandboxControl {
  return {
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
}
