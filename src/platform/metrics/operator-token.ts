import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Whether an Authorization header carries the operator token as a bearer token. The two are
 * compared as SHA-256 digests in constant time: equal lengths whatever was sent, and no early
 * exit that would tell a caller how much of a guess was right.
 */
export function hasOperatorToken(authorization: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(token));
}
