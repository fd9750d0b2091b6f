import { z } from 'zod';

const count = z.coerce.number().int().min(1).max(1000);
// pg-boss polls no faster than every half second.
const seconds = z.coerce.number().min(0.5).max(3600);
const cron = z
  .string()
  .trim()
  .regex(/^\S+( \S+){4,5}$/, { error: 'must be a cron expression of five (or six, with seconds) fields' });

/** Configuration from the environment, validated once at start-up. */
const schema = z.object({
  DATABASE_URL: z.string().min(1).default('./data'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Unset, a command logs only warnings and errors, as short lines on stderr (a person at a
   * terminal); set, JSON lines at this level on stdout (production: one line per request at info).
   */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
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
  // Operations tunables (README's configuration table). Defaults are the values policypay had as
  // constants; PGlite is one session, so its worker concurrency stays 1 whatever is set.
  DATABASE_POOL_SIZE: count.default(10),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  /** Embedded PGlite's shared_buffers; PGlite's own 128MB is a server's figure (see database.ts). */
  PGLITE_SHARED_BUFFERS: z
    .string()
    .regex(/^[1-9][0-9]*(kB|MB|GB)$/, { error: 'must be a size such as 16MB (kB, MB or GB)' })
    .default('16MB'),
  JOBS_POOL_SIZE: count.default(4),
  WORKER_PAYMENT_CONCURRENCY: count.default(8),
  WORKER_AUTOPAY_CONCURRENCY: count.default(8),
  WORKER_AMS_RECEIPT_CONCURRENCY: count.default(4),
  WORKER_EMAIL_CONCURRENCY: count.default(1),
  WORKER_POLLING_INTERVAL_SECONDS: seconds.default(2),
  EMAIL_POLLING_INTERVAL_SECONDS: seconds.default(0.5),
  /** The payment, janitor and outbox sweeps (cron, UTC): they find what a lost job left. */
  SWEEP_CRON: cron.default('* * * * *'),
  PAYMENT_JANITOR_STARTED_CHECK_SECONDS: z.coerce.number().int().min(1).default(120),
  PAYMENT_JANITOR_FIRST_CHECK_SECONDS: z.coerce.number().int().min(1).default(300),
  PAYMENT_JANITOR_SECOND_CHECK_SECONDS: z.coerce.number().int().min(1).default(3600),
  PAYMENT_JANITOR_LATER_CHECK_SECONDS: z.coerce.number().int().min(1).default(86_400),
  SANDBOX_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** The key stored secrets are encrypted with (32 bytes, base64 or hex); id "default". */
  POLICYPAY_SECRET_KEY: z.string().optional(),
  /** Several keys for rotation, id:key,id:key: the first encrypts, all decrypt. */
  POLICYPAY_SECRET_KEYS: z.string().optional(),
  /** `true` lets connectors call loopback and private addresses (an on-premises AMS, a test rig). */
  POLICYPAY_ALLOW_PRIVATE_CONNECTORS: z.enum(['true', 'false']).default('false'),
  /** Host names and CIDR ranges connectors may call although private, comma-separated. */
  POLICYPAY_CONNECTOR_ALLOWLIST: z.string().optional(),
  // Operations: metrics, shutdown (README's "Operations: metrics, health, shutdown").
  /**
   * The bearer token that opens `/metrics` on the main port (`Authorization: Bearer …`). Unset,
   * the main port answers `/metrics` with 404 and only METRICS_PORT serves it.
   */
  POLICYPAY_OPERATOR_TOKEN: z
    .string()
    .min(16, { error: 'must be at least 16 characters' })
    .regex(/^\S+$/, { error: 'must not contain spaces' })
    .optional(),
  /** A second port that serves only `/metrics`, without authentication (keep it off the public network). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The address METRICS_PORT binds to; loopback by default, so that only the host's own scraper reaches it. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** How long SIGTERM/SIGINT may take to drain requests and stop workers before the process exits non-zero. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(25),
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
