import { type DestinationStream, type Level, type Logger, pino, stdSerializers } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = Level | 'silent';

/**
 * Keys whose values never reach a log line, wherever a log call puts them (up to two objects
 * deep: `{ password }`, `{ user: { password } }`, `{ body: { card: { number } } }`).
 */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'key',
  'secret',
  'webhookSecret',
  'clientSecret',
  'authorization',
  'cookie',
  'cardNumber',
  'cvc',
  'cvv',
  'accountNumber',
  'smtpUrl',
  'connectionString',
];

/** Request and response headers as Fastify's and pino's serializers name them, and card objects. */
const SECRET_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'card.number',
  '*.card.number',
];

export const REDACTED_PATHS: readonly string[] = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  ...SECRET_PATHS,
];

export const REDACTED = '[redacted]';

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go (default: stdout). Tests pass a stream to read them. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** `json` (default): one JSON object per line, for a log collector. `human`: short lines for a terminal. */
  format?: 'json' | 'human';
}

/**
 * The one logger factory. Every line is redacted (`REDACTED_PATHS`), errors under `err` or `error`
 * are serialised with their type, message and stack, levels are named and times ISO 8601.
 */
export function createLogger(options: LoggerOptions): Logger {
  const json = options.destination ?? pino.destination({ dest: 1, sync: true });
  const destination = options.format === 'human' ? humanStream(json) : json;
  return pino(
    {
      level: options.level,
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
      serializers: { err: stdSerializers.err, error: stdSerializers.err },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * A command's logger. With LOG_LEVEL set (production), JSON lines at that level on stdout; unset
 * (someone at a terminal), only warnings and errors, as short lines on stderr, so the command's
 * own output (its banner, its summary) stays readable.
 */
export function commandLogger(level: LogLevel | undefined): Logger {
  if (level) return createLogger({ level });
  return createLogger({ level: 'warn', destination: process.stderr, format: 'human' });
}

let fallback: Logger | undefined;

/**
 * For code that runs without a logger passed in (tests and library callers that give none):
 * warnings and errors on stderr, as a command with LOG_LEVEL unset writes them.
 */
export function defaultLogger(): Logger {
  fallback ??= commandLogger(undefined);
  return fallback;
}

const OMITTED_IN_HUMAN_LINES = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err', 'error']);

/** One pino JSON line as a terminal line: `policypay warn: message key=value`, then any error's stack. */
export function humanLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED_IN_HUMAN_LINES.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const text = [`policypay ${String(entry.level)}:`, String(entry.msg ?? ''), ...fields].join(' ');
  const error = (entry.err ?? entry.error) as { stack?: string; message?: string } | undefined;
  const detail = error ? (error.stack ?? error.message ?? '') : '';
  return detail ? `${text}\n  ${detail.replaceAll('\n', '\n  ')}\n` : `${text}\n`;
}

function humanStream(out: DestinationStream | NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => void out.write(humanLine(line)) };
}
