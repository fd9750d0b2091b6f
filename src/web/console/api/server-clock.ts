// The server's clock as the console sees it: "today" (a request's default due date, its `min`)
// is the server's, so a browser whose clock differs (or a server run under a faked clock) agrees.

/** Server time minus browser time, in ms, from the last session answer that carried `now`. */
let skewMs = 0;

export function setServerNow(serverNow: string | undefined, browserNow = Date.now()): void {
  const at = serverNow ? Date.parse(serverNow) : Number.NaN;
  if (Number.isFinite(at)) skewMs = at - browserNow;
}

/** The server's current time, estimated from the browser's clock and the kept skew. */
export function serverNow(): Date {
  return new Date(Date.now() + skewMs);
}
