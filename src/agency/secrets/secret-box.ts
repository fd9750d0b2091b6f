import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Secrets policypay must send on (connector auth headers, webhook signing secrets) are stored
 * encrypted with AES-256-GCM under a key from the environment. The stored form names its key, so
 * several keys can be configured while stored values move to a new one (`policypay secrets rotate`):
 *
 *   ppenc:v1:<keyId>:<iv, base64url>:<ciphertext and tag, base64url>
 *
 * The context (which row and column a value belongs to) is authenticated data: a value copied into
 * another agency's row does not decrypt.
 */
const CIPHERTEXT_PREFIX = 'ppenc:v1:';

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export class SecretKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyError';
  }
}

export interface SecretKey {
  id: string;
  key: Buffer;
}

/** A 32-byte key written as 64 hex digits or as base64 (either alphabet). */
export function parseKey(text: string, label: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : /^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)
      ? Buffer.from(trimmed, 'base64')
      : undefined;
  if (key?.length !== 32) {
    throw new SecretKeyError(`${label} must be a 32-byte key: 64 hex digits or 44 base64 characters`);
  }
  return key;
}

/** A new random key in the form the environment takes. */
export function generateKeyText(): string {
  return randomBytes(32).toString('base64');
}

export class Keyring {
  readonly keys: readonly SecretKey[];

  constructor(keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new SecretKeyError('a keyring needs at least one key');
    const ids = new Set<string>();
    for (const key of keys) {
      if (!KEY_ID.test(key.id)) throw new SecretKeyError(`key id "${key.id}" must be 1–32 letters, digits, _ or -`);
      if (ids.has(key.id)) throw new SecretKeyError(`key id "${key.id}" appears twice`);
      if (key.key.length !== 32) throw new SecretKeyError(`key "${key.id}" must be 32 bytes`);
      ids.add(key.id);
    }
    this.keys = keys;
  }

  /** The key new values are encrypted with: the first one listed. */
  get primaryId(): string {
    return (this.keys[0] as SecretKey).id;
  }

  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.keys[0] as SecretKey;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${CIPHERTEXT_PREFIX}${id}:${iv.toString('base64url')}:${body.toString('base64url')}`;
  }

  decrypt(stored: string, context: string): string {
    const parsed = parseCiphertext(stored);
    if (!parsed) throw new SecretKeyError(`the stored secret of ${context} is not encrypted`);
    const entry = this.keys.find((k) => k.id === parsed.keyId);
    if (!entry) {
      throw new SecretKeyError(
        `the stored secret of ${context} is encrypted under key "${parsed.keyId}", which is not configured (POLICYPAY_SECRET_KEYS has ${this.keys.map((k) => `"${k.id}"`).join(', ')})`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, parsed.iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(parsed.body.subarray(parsed.body.length - 16));
      return Buffer.concat([
        decipher.update(parsed.body.subarray(0, parsed.body.length - 16)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretKeyError(
        `the stored secret of ${context} does not decrypt with key "${parsed.keyId}": the key is not the one it was encrypted with, or the value was altered`,
      );
    }
  }

  /** True when a stored value is encrypted under a key other than the primary one (rotation pending). */
  needsRotation(stored: string): boolean {
    return parseCiphertext(stored)?.keyId !== this.primaryId;
  }
}

export function isEncrypted(stored: string): boolean {
  return parseCiphertext(stored) !== undefined;
}

function parseCiphertext(stored: string): { keyId: string; iv: Buffer; body: Buffer } | undefined {
  if (!stored.startsWith(CIPHERTEXT_PREFIX)) return undefined;
  const [keyId, ivText, bodyText, ...rest] = stored.slice(CIPHERTEXT_PREFIX.length).split(':');
  if (!keyId || !ivText || !bodyText || rest.length > 0) return undefined;
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== 12 || body.length < 16) return undefined;
  return { keyId, iv, body };
}

/**
 * The keyring the environment describes: POLICYPAY_SECRET_KEYS=id1:key1,id2:key2 (the first
 * encrypts, all decrypt), or POLICYPAY_SECRET_KEY=key (key id "default"). Undefined when neither is set.
 */
export function keyringFromEnv(env: Readonly<Record<string, string | undefined>>): Keyring | undefined {
  const list = env.POLICYPAY_SECRET_KEYS?.trim();
  const single = env.POLICYPAY_SECRET_KEY?.trim();
  if (list && single) throw new SecretKeyError('set POLICYPAY_SECRET_KEYS or POLICYPAY_SECRET_KEY, not both');
  if (list) {
    return new Keyring(
      list.split(',').map((entry, index) => {
        const at = entry.indexOf(':');
        if (at < 1) throw new SecretKeyError(`POLICYPAY_SECRET_KEYS entry ${index + 1} must be id:key`);
        const id = entry.slice(0, at).trim();
        return { id, key: parseKey(entry.slice(at + 1), `POLICYPAY_SECRET_KEYS key "${id}"`) };
      }),
    );
  }
  if (single) return new Keyring([{ id: 'default', key: parseKey(single, 'POLICYPAY_SECRET_KEY') }]);
  return undefined;
}

let current: Keyring | undefined;

/** Sets the process's keyring (start-up, or a test that needs another one). */
export function configureKeyring(keyring: Keyring | undefined): void {
  current = keyring;
}

/**
 * The process's keyring: the one start-up configured, else the environment's. A process that
 * reaches a secret with neither is misconfigured, and says so rather than storing it in clear.
 */
export function keyring(): Keyring {
  current ??= keyringFromEnv(process.env);
  if (!current) {
    throw new SecretKeyError(
      'no secret key is configured: set POLICYPAY_SECRET_KEY (32 bytes, base64 or hex; `policypay secrets generate-key` makes one)',
    );
  }
  return current;
}
