import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

/** API keys and session tokens are 256-bit random; a fast hash is enough to store them. */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Passwords are low-entropy: scrypt with a per-password salt. Format: scrypt$salt$hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Published once per scrypt verification: lets tests see that every sign-in path pays for one. */
const passwordVerifications = diagnosticsChannel.channel('policypay.password.verify');

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, saltText, hashText] = stored.split('$');
  if (scheme !== 'scrypt' || !saltText || !hashText) return false;
  const expected = Buffer.from(hashText, 'base64');
  const actual = await scryptAsync(password, Buffer.from(saltText, 'base64'), expected.length);
  if (passwordVerifications.hasSubscribers) passwordVerifications.publish({});
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against a stored hash, or — when there is no account or no password — against
 * a dummy hash, so an unknown e-mail costs the same scrypt as a known one and timing says nothing.
 */
export async function verifyPasswordOrDummy(password: string, stored: string | null | undefined): Promise<boolean> {
  if (stored) return verifyPassword(password, stored);
  dummyHash ??= hashPassword('policypay-no-such-account');
  await verifyPassword(password, await dummyHash);
  return false;
}
