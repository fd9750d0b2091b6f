import type { App } from './types.ts';

/**
 * One log line per answered request (Fastify's own two lines per request are off): the route's
 * template rather than the URL, so no path parameter or query string (a portal link's token, a
 * customer's e-mail) is written; never a header or a body.
 */
export function registerRequestLog(app: App): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(request.actor ? { agencyId: request.actor.agencyId } : {}),
      },
      'request',
    );
  });
}
