/** A portal link's token as `newToken('ppt')` makes it: 256 bits in base64url. */
const PORTAL_TOKEN = /\bppt_([A-Za-z0-9_-]{4})[A-Za-z0-9_-]{39}(?![A-Za-z0-9_-])/g;

/**
 * Hides the single-use tokens of clients' sign-in and enrollment links in an e-mail body shown to
 * staff: a staff member reading the outbox must not be able to sign in as the client. The first
 * four characters stay, to tell links apart. The e-mail as sent keeps the whole link.
 */
export function maskPortalTokens(body: string): string {
  return body.replace(PORTAL_TOKEN, 'ppt_$1…(hidden)');
}
