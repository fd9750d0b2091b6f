import { problemFor, sendProblem } from '../http/problem.ts';
import type { App } from '../http/types.ts';
import type { Metrics } from './metrics.ts';
import { hasOperatorToken } from './operator-token.ts';

/** The label of a request no route matched (a 404, or a web UI page the not-found handler serves). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request into the app's histogram, labelled by the route's template — never the raw
 * URL, whose ids would make a series per customer — and serves `/metrics` on the main port to
 * holders of the operator token. Without a token the main port has no metrics (404): they are
 * then only on METRICS_PORT, if that is set (metrics-server.ts).
 */
export function registerMetricsRoutes(app: App, metrics: Metrics | undefined, operatorToken: string | undefined): void {
  if (metrics) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
      metrics.observeRequest({ method: request.method, route, statusCode: reply.statusCode }, reply.elapsedTime / 1000);
    });
  }
  app.get('/metrics', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    if (!metrics || !operatorToken) return sendProblem(reply, problemFor('not_found', 'no route GET /metrics'));
    if (!hasOperatorToken(request.headers.authorization, operatorToken)) {
      reply.header('www-authenticate', 'Bearer realm="policypay metrics"');
      return sendProblem(
        reply,
        problemFor(
          'unauthenticated',
          'send the operator token (POLICYPAY_OPERATOR_TOKEN) as "Authorization: Bearer <token>"',
        ),
      );
    }
    const { contentType, body } = await metrics.scrape();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}
