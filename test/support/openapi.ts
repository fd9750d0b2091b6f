import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { type AppOptions, buildApp } from '../../src/platform/app/app.ts';
import { API_PREFIX } from '../../src/platform/http/openapi.ts';
import type { App } from '../../src/platform/http/types.ts';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonObject = Record<string, any>;

/** `/api/v1/customers/:customerNumber` (Fastify) → `/api/v1/customers/{customerNumber}` (OpenAPI). */
const openApiPath = (routeUrl: string) => routeUrl.replace(/:(\w+)/g, '{$1}');

export interface SentResponse {
  method: string;
  /** The route as Fastify registered it. */
  route: string;
  status: number;
  contentType: string | undefined;
  /** The body as sent (serialized). */
  body: string | undefined;
}

/**
 * Checks responses against the published OpenAPI document: the operation exists, the status is
 * documented, the content type is the documented one and the body matches its schema.
 */
export function responseChecker(document: JsonObject) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const DOC = 'policypay-openapi';
  // Component references point into the document; let ajv resolve them there.
  const rebase = (schema: unknown) =>
    JSON.parse(JSON.stringify(schema), (key, value) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/') ? `${DOC}${value}` : value,
    );
  ajv.addSchema({ $id: DOC, $defs: {}, components: rebase(document.components ?? {}) });
  const compiled = new Map<string, ValidateFunction>();

  return function check(response: SentResponse): string[] {
    const method = response.method === 'HEAD' ? 'get' : response.method.toLowerCase();
    const operation = document.paths?.[openApiPath(response.route)]?.[method];
    if (!operation) return [`${response.method} ${response.route} is not in the OpenAPI document`];
    const status = String(response.status);
    const documented = operation.responses?.[status] ?? operation.responses?.[`${status[0]}XX`];
    if (!documented) {
      return [`status ${status} is not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`];
    }
    // Fastify sends no body with a 204 or 304, whatever the handler passed.
    const noBody = response.method === 'HEAD' || status === '204' || status === '304';
    const hasBody = response.body !== undefined && response.body !== '' && !noBody;
    if (!documented.content) return hasBody ? [`status ${status} is documented without a body but one was sent`] : [];
    const mediaType = response.contentType?.split(';')[0]?.trim() ?? '';
    const media = documented.content[mediaType];
    if (!media) {
      return [
        `content type "${mediaType}" is not documented for ${status} (documented: ${Object.keys(documented.content).join(', ')})`,
      ];
    }
    // A streamed non-JSON body (a CSV export) is checked for its status and content type only: the
    // stream is not in hand here, and its schema is a plain string.
    if (!media.schema || noBody || !/[/+]json$/.test(mediaType)) return [];
    let body: unknown;
    try {
      body = JSON.parse(response.body ?? '');
    } catch {
      return [`the ${mediaType} body is not JSON`];
    }
    const key = `${method} ${response.route} ${status} ${mediaType}`;
    let validate = compiled.get(key);
    if (!validate) {
      validate = ajv.compile(rebase(media.schema));
      compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (error) => `body${error.instancePath} ${error.message}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`,
    );
  };
}

/**
 * Every test's server is built here: `buildApp` plus a check of every /api/v1 response against
 * the app's own OpenAPI document. A response that does not match is answered as a 500 naming the
 * mismatch (so the test that received it fails there), logged, and recorded for
 * `assertResponsesMatchedDocument`, which the test servers' `close()` calls (so a test that ignores
 * the answer fails all the same).
 */
export async function buildTestApp(options: AppOptions): Promise<App> {
  const app = await buildApp(options);
  enforceOpenApiContract(app);
  return app;
}

const violationsByApp = new WeakMap<App, string[]>();

function enforceOpenApiContract(app: App): void {
  const violations: string[] = [];
  violationsByApp.set(app, violations);
  let check: ReturnType<typeof responseChecker> | undefined;
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (!route?.startsWith(API_PREFIX)) return payload;
    check ??= responseChecker(app.swagger() as JsonObject);
    const contentType = reply.getHeader('content-type');
    let problems: string[];
    try {
      problems = check({
        method: request.method,
        route,
        status: reply.statusCode,
        contentType: typeof contentType === 'string' ? contentType : undefined,
        body: typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined,
      });
    } catch (error) {
      // A document ajv cannot compile (e.g. a dangling $ref) is a mismatch too, not a crash here.
      problems = [`the document's schema for it cannot be used: ${(error as Error).message}`];
    }
    if (problems.length === 0) return payload;
    const message = `${request.method} ${request.url} answered ${reply.statusCode}: ${problems.join('; ')}`;
    violations.push(message);
    console.error(`OpenAPI contract violation: ${message}`);
    reply.status(500).type('application/problem+json');
    return JSON.stringify({
      type: 'https://policypay.dev/problems/openapi-contract-violation',
      title: 'The response does not match the OpenAPI document',
      status: 500,
      detail: message,
      original: typeof payload === 'string' ? payload.slice(0, 2000) : undefined,
    });
  });
}

/**
 * Throws when any response of this app did not match the document. Test servers call it after
 * they closed everything (a throwing close would leave the database and workers open).
 */
export function assertResponsesMatchedDocument(app: App): void {
  const found = violationsByApp.get(app) ?? [];
  if (found.length > 0) throw new Error(`responses that do not match the OpenAPI document:\n${found.join('\n')}`);
}
