/**
 * A single-use link's token as `newToken` makes it: 256 bits in base64url. `ppt`: a client's portal
 * sign-in or enrollment link; `ppw`: a console user's set-password link (invitation or reset).
 */
const LINK_TOKEN = /\b(ppt|ppw)_([A-Za-z0-9_-]{4})[A-Za-z0-9_-]{39}(?![A-Za-z0-9_-])/g;

/**
 * Hides the single-use tokens of clients' sign-in and enrollment links, and of console users'
 * set-password links, in an e-mail body shown in the console: whoever reads the outbox must not be
 * able to sign in as a client or choose another user's password. The first four characters stay,
 * to tell links apart. The e-mail as sent keeps the whole link.
 */
export function maskPortalTokens(body: string): string {
  return body.replace(LINK_TOKEN, '$1_$2…(hidden)');
}
