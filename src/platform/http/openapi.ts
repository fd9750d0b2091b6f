import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { Access } from './auth.ts';

/**
 * The published OpenAPI document's conventions, applied to every route in one place so that no
 * route has to repeat them (and a new route cannot forget them): an `operationId` and a tag, the
 * problem+json errors the server can send for the route, the Idempotency-Key header on POSTs,
 * the route's security, and component schemas for every named zod schema (`.meta({ id })`).
 */

export const API_PREFIX = '/api/v1/';
const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PORTAL_PREFIX = '/api/v1/portal/';
const SCHEMAS = '#/components/schemas/';

/** Names that read better than the derived ones; keys are `METHOD /api/v1/path` as routed. */
const operationIdOverrides: Record<string, string> = {
  'GET /api/v1/health': 'getHealth',
  'GET /api/v1/ready': 'getReadiness',
  'POST /api/v1/session': 'signIn',
  'DELETE /api/v1/session': 'signOut',
  'GET /api/v1/me': 'getSignedInUser',
  'POST /api/v1/receipt/customer': 'postCustomerReceipt',
  'POST /api/v1/receipts/:receiptNumber/reversal': 'reverseReceipt',
  'POST /api/v1/customers/:customerNumber/on-account/apply': 'applyOnAccountCredit',
  'POST /api/v1/customers/:customerNumber/sync': 'syncCustomer',
  'POST /api/v1/policies/:policyNumber/transitions': 'transitionPolicy',
  'POST /api/v1/policies/:policyNumber/tags': 'tagPolicy',
  'DELETE /api/v1/policies/:policyNumber/tags/:tag': 'untagPolicy',
  'POST /api/v1/policies/:policyNumber/bill': 'billPolicy',
  'POST /api/v1/imports/:id/commit': 'commitImport',
  'GET /api/v1/settings/payments': 'getPaymentSettings',
  'PATCH /api/v1/settings/payments': 'updatePaymentSettings',
  'GET /api/v1/customers/:customerNumber/account': 'getCustomerAccount',
  'GET /api/v1/customers/:customerNumber/autopay': 'getCustomerAutopay',
  'POST /api/v1/customers/:customerNumber/autopay': 'enrollCustomerAutopay',
  'DELETE /api/v1/customers/:customerNumber/autopay': 'cancelCustomerAutopay',
  'GET /api/v1/invoices/:invoiceNumber/autopay': 'getInvoiceAutopay',
  'GET /api/v1/autopay/runs': 'listAutopayRuns',
  'GET /api/v1/connectors/ams360-receipts': 'getAms360ReceiptConnector',
  'PUT /api/v1/connectors/ams360-receipts': 'configureAms360ReceiptConnector',
  'GET /api/v1/connectors/ams360-receipts/exports': 'listAms360ReceiptExports',
  'POST /api/v1/connectors/ams360-receipts/exports/:exportId/retry': 'retryAms360ReceiptExport',
  'GET /api/v1/portal/config': 'getPortalConfig',
  'POST /api/v1/portal/tokens/redeem': 'redeemPortalToken',
  'POST /api/v1/portal/session': 'portalSignIn',
  'DELETE /api/v1/portal/session': 'portalSignOut',
  'POST /api/v1/portal/sign-in-link': 'requestPortalSignInLink',
  'GET /api/v1/portal/me': 'getPortalUser',
  'POST /api/v1/portal/password': 'setPortalPassword',
  'GET /api/v1/portal/account': 'getPortalAccount',
  'POST /api/v1/portal/payment-requests/:id/pay': 'payPortalPaymentRequest',
  'POST /api/v1/portal/payments': 'createPortalPayment',
  'POST /api/v1/portal/payment-methods/:id/default': 'setPortalDefaultPaymentMethod',
  'GET /api/v1/portal/autopay': 'getPortalAutopay',
  'POST /api/v1/portal/autopay': 'enrollPortalAutopay',
  'DELETE /api/v1/portal/autopay': 'cancelPortalAutopay',
  'POST /api/v1/webhooks/:processor': 'receiveProcessorWebhook',
  'PUT /api/v1/sync/connectors/:system': 'configureSyncConnector',
  'GET /api/v1/sync/connectors': 'listSyncConnectors',
  'GET /api/v1/sync/rules': 'getSyncRules',
  'PUT /api/v1/sync/rules': 'setSyncRules',
  'GET /api/v1/customers/:customerNumber/sync': 'getCustomerSync',
  'POST /api/v1/sync/runs': 'runSync',
  'GET /api/v1/sync/log': 'listSyncLog',
  'GET /api/v1/sync/reviews': 'listSyncReviews',
  'POST /api/v1/sync/reviews/:reviewId/accept': 'acceptSyncReview',
  'POST /api/v1/sync/reviews/:reviewId/reject': 'rejectSyncReview',
  'POST /api/v1/sync/reviews/:reviewId/merge': 'mergeSyncReview',
  'POST /api/v1/sync/webhooks/:agency/:system': 'receiveSyncWebhook',
  'DELETE /api/v1/api-keys/:id': 'revokeApiKey',
  'GET /api/v1/customers/export.csv': 'exportCustomersCsv',
  'GET /api/v1/invoices/export.csv': 'exportInvoicesCsv',
  'GET /api/v1/receipts/export.csv': 'exportReceiptsCsv',
  'GET /api/v1/payments/export.csv': 'exportPaymentsCsv',
  'GET /api/v1/reports/ar-aging': 'getArAgingReport',
  'GET /api/v1/reports/ar-aging/export.csv': 'exportArAgingCsv',
  'GET /api/v1/reports/collections': 'getCollectionsReport',
  'GET /api/v1/reports/collections/export.csv': 'exportCollectionsCsv',
  'GET /api/v1/reports/deposits': 'getDepositReport',
  'GET /api/v1/reports/deposits/export.csv': 'exportDepositReportCsv',
  'GET /api/v1/reports/autopay': 'getAutopayReport',
  'GET /api/v1/reports/autopay/export.csv': 'exportAutopayReportCsv',
};

/** A trailing path segment that names an action on the resource before it (POST …/cancel). */
const actions = new Set(['cancel', 'finalize', 'retry', 'accept', 'reject', 'merge', 'redeem', 'pay', 'apply']);

const pascal = (segment: string) =>
  segment
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

const singular = (word: string) =>
  word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.endsWith('s') ? word.slice(0, -1) : word;

/**
 * `METHOD /api/v1/path` → a stable camelCase name: `listCustomers`, `getCustomer`,
 * `createCustomerContact`, `cancelPayment`; a few read better spelled out (overrides above).
 */
function operationIdFor(method: string, url: string): string {
  const override = operationIdOverrides[`${method} ${url}`];
  if (override) return override;
  const segments = url.slice(API_PREFIX.length).split('/').filter(Boolean);
  const isParam = (i: number) => segments[i]?.startsWith(':') ?? false;
  const last = segments.length - 1;
  let verb: string;
  let nouns = segments;
  if (isParam(last)) {
    verb = { GET: 'get', PATCH: 'update', PUT: 'set', DELETE: 'delete' }[method] ?? method.toLowerCase();
  } else if (method === 'POST' && actions.has(segments[last]!)) {
    verb = segments[last]!;
    nouns = segments.slice(0, last);
  } else {
    const plural = segments[last]!.endsWith('s');
    verb =
      { GET: plural ? 'list' : 'get', POST: 'create', PATCH: 'update', PUT: 'set', DELETE: 'delete' }[method] ??
      method.toLowerCase();
    if (method !== 'GET') nouns = [...segments.slice(0, last), singular(segments[last]!)];
  }
  const name = nouns
    .map((segment, i) => (segment.startsWith(':') ? '' : pascal(isParam(i + 1) ? singular(segment) : segment)))
    .join('');
  return verb + name;
}

const titles: Record<number, string> = {
  400: 'The request is not valid (a field, the query, a path parameter, the JSON or a header)',
  401: 'Authentication is required, or the credential is unknown or revoked',
  403: 'The caller may not do this (role, bank or division), or a cookie-authenticated write came from another origin',
  404: 'Not found',
  409: 'Conflict: already exists, an illegal transition, or the Idempotency-Key is in use',
  413: 'The body is too large',
  414: 'A path parameter is too long',
  415: 'The body is not application/json',
  422: 'The request cannot be processed (a business rule, or an Idempotency-Key reused with another request)',
  429: 'Too many requests; retry after the Retry-After header',
  502: 'An external system failed',
  503: 'Busy; retry after the Retry-After header',
};

const successDescriptions: Record<string, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'Done; no content',
};

function problemResponse(status: number) {
  return {
    description: titles[status] ?? 'Error',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: `${SCHEMAS}Problem` } } },
    ...(status === 429 || status === 503
      ? { headers: { 'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' } } }
      : {}),
  };
}

/**
 * The error statuses the server can send for a route, besides those the route declares: what
 * every request can meet (validation, authentication, rate limit, busy database), what a role
 * list, a path parameter or a body adds, and the Idempotency-Key answers of a POST.
 */
function errorStatusesFor(method: string, url: string, access: Access | undefined): number[] {
  const statuses = new Set([400, 401, 429, 503]);
  // A write from a foreign Origin is refused (403) and a cookie-authenticated one must be JSON
  // (415) on every route, public ones included (platform/http/csrf.ts).
  const write = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method);
  if (access !== 'public' || write) statuses.add(403);
  if (url.includes('/:')) for (const status of [404, 414]) statuses.add(status);
  // Without an operator token configured, the operator's routes are not there.
  if (access === 'operator') statuses.add(404);
  if (write) statuses.add(415);
  if (['POST', 'PUT', 'PATCH'].includes(method)) statuses.add(413);
  if (method === 'POST') for (const status of [409, 422]) statuses.add(status);
  return [...statuses];
}

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON shaped by @fastify/swagger, walked by key
type JsonObject = Record<string, any>;

/** Wraps the zod transform: adds the conventions above to every /api/v1 operation. */
export const openApiTransform: SwaggerTransform = (input) => {
  const result = jsonSchemaTransform(input as never) as { schema: JsonObject; url: string };
  const { route, url } = input;
  const schema = result.schema;
  if (!schema || schema.hide || !url.startsWith(API_PREFIX)) return result as never;
  const method = (Array.isArray(route.method) ? route.method[0] : route.method) as string;
  const access = (route.config as { access?: Access } | undefined)?.access;

  schema.operationId ??= operationIdFor(method, url);
  schema.tags ??= [url.slice(API_PREFIX.length).split('/')[0]];
  if (access === 'public') schema.security = [];
  else if (access === 'operator') schema.security = [{ operatorToken: [] }];
  else if (access === 'setup') schema.security = [{ setupCode: [] }];
  else if (url.startsWith(PORTAL_PREFIX)) schema.security = [{ portalSession: [] }];

  const response: JsonObject = { ...schema.response };
  for (const [status, success] of Object.entries(response)) {
    if (Number(status) >= 400 || !success || typeof success !== 'object' || success.content) continue;
    const description = success.description ?? successDescriptions[status] ?? 'Success';
    response[status] =
      success.type === 'null'
        ? { ...success, description }
        : { description, content: { 'application/json': { schema: success } } };
  }
  const declared = Object.keys(response).map(Number);
  for (const status of new Set([...declared.filter((s) => s >= 400), ...errorStatusesFor(method, url, access)])) {
    response[status] = problemResponse(status);
  }
  schema.response = response;

  const marked = (route.config as { idempotent?: boolean } | undefined)?.idempotent;
  if (method === 'POST' ? marked !== false : marked === true) {
    const headers: JsonObject = schema.headers ?? { type: 'object', properties: {} };
    headers.properties = {
      ...headers.properties,
      'idempotency-key': {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description:
          'Makes the request safe to retry: the first answer is stored with its effect and replayed for the same key and body',
      },
    };
    schema.headers = headers;
  }
  return result as never;
};

/** Emits the named schemas as components, keeps only those referenced, and lists the tags. */
export const openApiTransformObject: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as JsonObject;
  const all: JsonObject = document.components?.schemas ?? {};
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMAS)) {
        const name = child.slice(SCHEMAS.length);
        if (!used.has(name)) {
          used.add(name);
          visit(all[name]);
        }
      } else visit(child);
    }
  };
  visit(document.paths);
  const schemas = Object.fromEntries(Object.entries(all).filter(([name]) => used.has(name)));
  const tags = new Set<string>();
  for (const pathItem of Object.values(document.paths ?? {}) as JsonObject[]) {
    for (const operation of Object.values(pathItem) as JsonObject[])
      for (const tag of operation.tags ?? []) tags.add(tag);
  }
  return {
    ...document,
    tags: [...tags].sort().map((name) => ({ name })),
    components: { ...document.components, schemas },
  };
};
