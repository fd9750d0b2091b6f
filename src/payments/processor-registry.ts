import type { PaymentProcessor } from './processors/processor.ts';
import { SandboxProcessor } from './processors/sandbox/adapter.ts';
import { StripeProcessor } from './processors/stripe/adapter.ts';

/** Where `policypay sandbox` and the in-process sandbox of `npm start` listen by default. */
const DEFAULT_SANDBOX_PORT = 4242;
const DEFAULT_SANDBOX_URL = `http://127.0.0.1:${DEFAULT_SANDBOX_PORT}`;

export type ProcessorChoice = 'sandbox' | 'stripe';

export class ProcessorChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessorChoiceError';
  }
}

/**
 * The one processor this process runs. The sandbox takes no money: it runs only when chosen
 * (POLICYPAY_PROCESSOR=sandbox) or when no production processor is configured (demo, development,
 * tests); with a Stripe key it is neither started nor accepted.
 */
export function chooseProcessor(config: {
  processor?: ProcessorChoice | undefined;
  stripeSecretKey?: string | undefined;
}): ProcessorChoice {
  if (config.processor === 'stripe' && !config.stripeSecretKey) {
    throw new ProcessorChoiceError('POLICYPAY_PROCESSOR=stripe needs STRIPE_SECRET_KEY');
  }
  if (config.processor === 'sandbox' && config.stripeSecretKey) {
    throw new ProcessorChoiceError(
      'POLICYPAY_PROCESSOR=sandbox with STRIPE_SECRET_KEY set: the sandbox never runs beside a production processor (unset one)',
    );
  }
  return config.processor ?? (config.stripeSecretKey ? 'stripe' : 'sandbox');
}

/** Test mode: the sandbox serves payments, so nothing a client pays is charged anywhere. */
export function isTestMode(processors: ReadonlyMap<string, PaymentProcessor>): boolean {
  return processors.has('sandbox');
}

export interface ProcessorsConfig {
  /** POLICYPAY_PROCESSOR; by default `stripe` when a secret key is set, else `sandbox`. */
  processor?: ProcessorChoice | undefined;
  /** The sandbox's URL (default http://127.0.0.1:4242). */
  sandboxUrl?: string | undefined;
  sandboxWebhookSecret: string;
  sandboxTimeoutMs?: number | undefined;
  /** How long a Stripe API call may take (the adapter waits 30 s unless told). */
  stripeTimeoutMs?: number | undefined;
  /** `STRIPE_SECRET_KEY`: the 'stripe' processor exists only when it is set. */
  stripeSecretKey?: string | undefined;
  /** `STRIPE_WEBHOOK_SECRET`: the signing secret of policypay's Stripe webhook endpoint. */
  stripeWebhookSecret?: string | undefined;
  /** Another Stripe API base (a local fake in tests). */
  stripeApiBase?: string | undefined;
  /** Injected clock for webhook freshness (tests). */
  now?: (() => Date) | undefined;
}

/** The chosen processor by name: 'sandbox', or 'stripe' (then never the sandbox). */
export function createProcessors(config: ProcessorsConfig): Map<string, PaymentProcessor> {
  const processors = new Map<string, PaymentProcessor>();
  const now = config.now ? { now: config.now } : {};
  const choice = chooseProcessor(config);
  if (choice === 'sandbox') {
    processors.set(
      'sandbox',
      new SandboxProcessor({
        baseUrl: config.sandboxUrl ?? DEFAULT_SANDBOX_URL,
        webhookSecret: config.sandboxWebhookSecret,
        ...(config.sandboxTimeoutMs ? { timeoutMs: config.sandboxTimeoutMs } : {}),
        ...now,
      }),
    );
  }
  if (choice === 'stripe' && config.stripeSecretKey) {
    processors.set(
      'stripe',
      new StripeProcessor({
        secretKey: config.stripeSecretKey,
        webhookSecret: config.stripeWebhookSecret,
        apiBase: config.stripeApiBase,
        ...(config.stripeTimeoutMs ? { timeoutMs: config.stripeTimeoutMs } : {}),
        ...now,
      }),
    );
  }
  return processors;
}
