import { z } from 'zod';

/** Configuration from the environment, validated once at start-up. */
const schema = z.object({
  DATABASE_URL: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  POLICYPAY_DEMO_API_KEY: z
    .string()
    .regex(/^[A-Za-z0-9_-]{16,200}$/, { error: 'must be 16–200 letters, digits, _ or -' })
    .optional(),
  POLICYPAY_PUBLIC_URL: z.url().optional(),
  /**
   * The card/ACH processor: `sandbox` (test mode: demo, development, tests) or `stripe`. Default:
   * `stripe` when STRIPE_SECRET_KEY is set, else `sandbox`. Only the chosen one is started and accepted.
   */
  POLICYPAY_PROCESSOR: z.enum(['sandbox', 'stripe']).optional(),
  /** An external sandbox processor; without it `serve` starts one in-process. */
  POLICYPAY_SANDBOX_URL: z.url().optional(),
  POLICYPAY_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4242),
  POLICYPAY_SANDBOX_WEBHOOK_SECRET: z.string().min(16).optional(),
  STRIPE_SECRET_KEY: z.string().min(1).optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
  STRIPE_API_BASE: z.url().optional(),
  /** Outgoing mail server, e.g. smtp://user:pass@mail.example.com:587; without it e-mails stay in the outbox. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, { error: 'must be an smtp:// or smtps:// URL' })
    .optional(),
  /** The sender address of policypay's e-mails (the agency's name is the display name). */
  EMAIL_FROM: z.email().optional(),
  /** The key stored secrets are encrypted with (32 bytes, base64 or hex); id "default". */
  POLICYPAY_SECRET_KEY: z.string().optional(),
  /** Several keys for rotation, id:key,id:key: the first encrypts, all decrypt. */
  POLICYPAY_SECRET_KEYS: z.string().optional(),
  /** `true` lets connectors call loopback and private addresses (an on-premises AMS, a test rig). */
  POLICYPAY_ALLOW_PRIVATE_CONNECTORS: z.enum(['true', 'false']).default('false'),
  /** Host names and CIDR ranges connectors may call although private, comma-separated. */
  POLICYPAY_CONNECTOR_ALLOWLIST: z.string().optional(),
});

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and CI files usually intend.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
