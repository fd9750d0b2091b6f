import { randomBytes } from 'node:crypto';
import { type Sandbox, startSandbox } from '../../payments/processors/sandbox/server.ts';
import { ACH_ROUTING_NUMBER, TEST_NUMBERS } from '../../payments/processors/sandbox/test-numbers.ts';
import type { Logger } from '../log/logger.ts';
import { say } from '../log/output.ts';

export interface RunSandboxOptions {
  port: number;
  host?: string | undefined;
  /** Default: POLICYPAY_SANDBOX_WEBHOOK_URL; without one, events are only listed at /sandbox/events. */
  webhookUrl?: string | undefined;
  /** Default: POLICYPAY_SANDBOX_WEBHOOK_SECRET, else a random one printed once. */
  webhookSecret?: string | undefined;
  settlementDays?: number | undefined;
  /** Keep tokens and charges across restarts in this JSON file. */
  stateFile?: string | undefined;
  logger?: Logger;
  /** Where the start-up lines go (default: the terminal, `say`). */
  print?: (text: string) => void;
}

/**
 * Card numbers are printed in groups, as people type them (the tokenize endpoint takes spaces), so
 * this output never holds a run of 13–19 digits that a scan of logs for card numbers would flag.
 */
export function groupCardNumber(number: string): string {
  const groups = number.length === 15 ? [4, 6, 5] : [4, 4, 4, 4, 3];
  const parts: string[] = [];
  let at = 0;
  for (const size of groups) {
    if (at >= number.length) break;
    parts.push(number.slice(at, at + size));
    at += size;
  }
  return parts.join(' ');
}

const hint = (secret: string) => (secret.length > 10 ? `${secret.slice(0, 6)}…${secret.slice(-2)}` : '…');

/** `policypay sandbox`: the sandbox processor alone, until SIGINT/SIGTERM. */
export async function runSandbox(options: RunSandboxOptions): Promise<Sandbox> {
  const fromEnv = process.env.POLICYPAY_SANDBOX_WEBHOOK_SECRET;
  const webhookSecret = options.webhookSecret ?? fromEnv ?? `whsec_sandbox_${randomBytes(18).toString('hex')}`;
  const webhookUrl = options.webhookUrl ?? process.env.POLICYPAY_SANDBOX_WEBHOOK_URL;
  const sandbox = await startSandbox({
    port: options.port,
    host: options.host ?? '127.0.0.1',
    webhookSecret,
    webhookUrl,
    ...(options.settlementDays !== undefined ? { settlementDays: options.settlementDays } : {}),
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  const lines = [
    `policypay sandbox processor: ${sandbox.url}`,
    `  tokenize        POST ${sandbox.url}/v1/tokens   (card numbers go here, never to policypay)`,
    `  webhooks        ${webhookUrl ?? 'none (set POLICYPAY_SANDBOX_WEBHOOK_URL, or POST /sandbox/webhook-url)'}`,
    options.webhookSecret || fromEnv
      ? `  webhook secret  ${hint(webhookSecret)} (from ${options.webhookSecret ? 'the options' : 'POLICYPAY_SANDBOX_WEBHOOK_SECRET'})`
      : `  webhook secret  ${webhookSecret}  (generated; set POLICYPAY_SANDBOX_WEBHOOK_SECRET to keep one)`,
    '  time            POST /sandbox/advance {"days":3} settles ACH debits; /sandbox/return, /sandbox/chargeback',
    '',
    '  test numbers (any future expiry, any 3-digit CVC, 4 for Amex):',
    ...TEST_NUMBERS.map((t) =>
      t.kind === 'card'
        ? `    card  ${groupCardNumber(t.number).padEnd(19)}  ${t.outcome}`
        : `    ach   ${t.number.padEnd(19)}  ${t.outcome}`,
    ),
    `    ACH routing number ${ACH_ROUTING_NUMBER} (or any valid ABA number)`,
  ];
  (options.print ?? say)(lines.join('\n'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping the sandbox`);
    await sandbox.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return sandbox;
}
