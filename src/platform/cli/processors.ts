import { randomBytes } from 'node:crypto';
import { chooseProcessor, createProcessors, ProcessorChoiceError } from '../../payments/processor-registry.ts';
import type { Processors } from '../../payments/processors/processor.ts';
import { type Sandbox, startSandbox } from '../../payments/processors/sandbox/server.ts';
import { type Config, ConfigError } from '../config.ts';
import type { Logger } from '../log/logger.ts';

export interface ProcessorSetup {
  processors: Processors;
  /** The in-process sandbox, when this process runs one. */
  sandbox?: Sandbox;
  close(): Promise<void>;
}

/**
 * The processor this process talks to. With the sandbox chosen, `serve` without
 * POLICYPAY_SANDBOX_URL runs it in-process on its own port, its webhooks pointed at this server;
 * a worker only ever talks to one. With Stripe, no sandbox is started.
 */
export async function setupProcessors(
  config: Config,
  options: {
    startSandbox: boolean;
    webhookBaseUrl?: string | undefined;
    stateFile?: string | undefined;
    logger?: Logger;
  },
): Promise<ProcessorSetup> {
  let choice: ReturnType<typeof chooseProcessor>;
  try {
    choice = chooseProcessor({ processor: config.POLICYPAY_PROCESSOR, stripeSecretKey: config.STRIPE_SECRET_KEY });
  } catch (error) {
    if (error instanceof ProcessorChoiceError) throw new ConfigError(`invalid configuration: ${error.message}`);
    throw error;
  }
  const webhookSecret = config.POLICYPAY_SANDBOX_WEBHOOK_SECRET ?? `whsec_sandbox_${randomBytes(18).toString('hex')}`;
  let sandbox: Sandbox | undefined;
  if (choice === 'sandbox' && !config.POLICYPAY_SANDBOX_URL && options.startSandbox) {
    const webhookUrl = options.webhookBaseUrl ? `${options.webhookBaseUrl}/api/v1/webhooks/sandbox` : undefined;
    const base = {
      webhookSecret,
      webhookUrl,
      ...(options.stateFile ? { stateFile: options.stateFile } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    };
    sandbox = await startSandbox({ ...base, port: config.POLICYPAY_SANDBOX_PORT }).catch((error) => {
      // Port taken (another policypay): any free port will do for an in-process sandbox.
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return startSandbox({ ...base, port: 0 });
      throw error;
    });
  }
  const processors = createProcessors({
    processor: choice,
    sandboxUrl: sandbox?.url ?? config.POLICYPAY_SANDBOX_URL,
    sandboxWebhookSecret: webhookSecret,
    sandboxTimeoutMs: config.SANDBOX_TIMEOUT_MS,
    stripeTimeoutMs: config.STRIPE_TIMEOUT_MS,
    stripeSecretKey: config.STRIPE_SECRET_KEY,
    stripeWebhookSecret: config.STRIPE_WEBHOOK_SECRET,
    stripeApiBase: config.STRIPE_API_BASE,
  });
  return {
    processors,
    ...(sandbox ? { sandbox } : {}),
    async close() {
      await sandbox?.close();
    },
  };
}
