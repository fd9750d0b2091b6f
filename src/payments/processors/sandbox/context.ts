import type { IncomingMessage } from 'node:http';
import type { SandboxClock } from './clock.ts';
import type { SandboxControl } from './control.ts';
import type { SandboxState } from './state.ts';
import type { WebhookSender } from './webhooks.ts';

/** What the sandbox's routes share: its ledger, business clock, webhook sender and settings. */
export interface SandboxContext {
  state: SandboxState;
  clock: SandboxClock;
  webhooks: WebhookSender;
  control: SandboxControl;
  /** Calendar days from an ACH debit to its settlement or return. */
  settlementDays: number;
  lostResponse: 'destroy' | 'hang' | undefined;
  corsOrigins: '*' | readonly string[] | undefined;
  /** Requests the hanging lost-response card holds open; closing the sandbox destroys them. */
  hanging: Set<IncomingMessage>;
  /** Saves the ledger to the state file, when there is one. */
  persist(): void;
}
