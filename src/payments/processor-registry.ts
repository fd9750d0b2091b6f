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

/** How this process builds a processor for an agency that chose its own (agency_processors). */
export type AgencyProcessorOptions = Omit<ProcessorsConfig, 'processor' | 'stripeSecretKey' | 'stripeWebhookSecret'>;

/**
 * The process default processors by name (what an agency without its own choice uses), and the
 * options an agency's own processor is built with (src/payments/agency-processors.ts). A Map, so
 * code that only needs the default reads it as before.
 */
export class ProcessorRegistry extends Map<string, PaymentProcessor> {
  readonly agencyOptions: AgencyProcessorOptions;

  constructor(entries: Iterable<readonly [string, PaymentProcessor]>, agencyOptions: AgencyProcessorOptions) {
    super(entries);
    this.agencyOptions = agencyOptions;
  }
}

export function sandboxProcessor(options: AgencyProcessorOptions): SandboxProcessor {
  return new SandboxProcessor({
    baseUrl: options.sandboxUrl ?? DEFAULT_SANDBOX_URL,
    webhookSecret: options.sandboxWebhookSecret,
    ...(options.sandboxTimeoutMs ? { timeoutMs: options.sandboxTimeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

/** A Stripe adapter for one account's secret key (STRIPE_API_BASE, a local fake in tests, honoured). */
export function stripeProcessor(
  options: AgencyProcessorOptions,
  secretKey: string,
  webhookSecret: string | undefined,
): StripeProcessor {
  return new StripeProcessor({
    secretKey,
    webhookSecret,
    apiBase: options.stripeApiBase,
    ...(options.stripeTimeoutMs ? { timeoutMs: options.stripeTimeoutMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

/** The chosen processor by name: 'sandbox', or 'stripe' (then never the sandbox). */
export function createProcessors(config: ProcessorsConfig): ProcessorRegistry {
  const { processor: _processor, stripeSecretKey, stripeWebhookSecret, ...agencyOptions } = config;
  const choice = chooseProcessor(config);
  const defaults: [string, PaymentProcessor][] =
    choice === 'sandbox'
      ? [['sandbox', sandboxProcessor(agencyOptions)]]
      : stripeSecretKey
        ? [['stripe', stripeProcessor(agencyOptions, stripeSecretKey, stripeWebhookSecret)]]
        : [];
  return new ProcessorRegistry(defaults, agencyOptions);
}
