import type { PaymentProcessor } from './processor.ts';
import { SandboxProcessor } from './sandbox-adapter.ts';
import { StripeProcessor } from './stripe-adapter.ts';

/** Where `policypay sandbox` and the in-process sandbox of `npm start` listen by default. */
export const DEFAULT_SANDBOX_PORT = 4242;
export const DEFAULT_SANDBOX_URL = `http://127.0.0.1:${DEFAULT_SANDBOX_PORT}`;

export interface ProcessorsConfig {
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

/** The configured processors by name: 'sandbox' always, 'stripe' when a secret key is set. */
export function createProcessors(config: ProcessorsConfig): Map<string, PaymentProcessor> {
  const processors = new Map<string, PaymentProcessor>();
  const now = config.now ? { now: config.now } : {};
  processors.set(
    'sandbox',
    new SandboxProcessor({
      baseUrl: config.sandboxUrl ?? DEFAULT_SANDBOX_URL,
      webhookSecret: config.sandboxWebhookSecret,
      ...(config.sandboxTimeoutMs ? { timeoutMs: config.sandboxTimeoutMs } : {}),
      ...now,
    }),
  );
  if (config.stripeSecretKey) {
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
