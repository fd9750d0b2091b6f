import { z } from 'zod';
import { operatorOnly } from '../../agency/routes/operator.ts';
import { invalid } from '../../kernel/errors.ts';
import { respond } from '../../platform/http/idempotency.ts';
import { errorResponses, nonEmpty } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { type FeeRuleInput, type FeeRuleRecord, listFeeRules, upsertFeeRule } from '../fees/fee-rules.ts';

const fundings = ['credit', 'debit', 'prepaid', 'bank_account'] as const;
const ruleId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, { error: 'must be lowercase letters, digits and dashes (at most 80)' });

const feeRuleBody = z.strictObject({
  scope: z.string().regex(/^(network|[A-Z]{2})$/, { error: 'must be "network" or a two-letter state code such as CT' }),
  funding: z.enum(fundings, { error: 'must be credit, debit, prepaid or bank_account' }),
  allowed: z.boolean({ error: 'must be true or false' }),
  maxPercent: z
    .union([z.number(), z.string()])
    .nullable()
    .meta({ description: 'The most a fee may be, in percent of the amount (3 or "3.00"); null = no cap of its own' }),
  source: nonEmpty(500).meta({ description: 'The statute or network rule, cited' }),
  sourceUrl: z.url({ error: 'must be a URL, or null' }).max(500).nullable(),
  note: z.string().max(2000).default(''),
});

const feeRuleSchema = z
  .object({
    id: z.string(),
    scope: z.string(),
    funding: z.enum(fundings),
    allowed: z.boolean(),
    maxPercent: z.string().nullable(),
    source: z.string(),
    sourceUrl: z.string().nullable(),
    note: z.string(),
    updatedAt: z.string(),
    updatedBy: z.string(),
  })
  .meta({ id: 'FeeRule' });

/** "3", 3, "2.5", "3.00" → basis points; anything else, or over 100 %, is refused naming the field. */
function basisPoints(value: number | string | null): number | null {
  if (value === null) return null;
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(text);
  const points = match ? Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0')) : Number.NaN;
  if (!(points <= 10_000)) throw invalid('maxPercent', 'must be a percent from 0 to 100 with at most 2 decimals');
  return points;
}

function percentText(points: number | null): string | null {
  return points === null ? null : `${Math.floor(points / 100)}.${String(points % 100).padStart(2, '0')}`;
}

function present(rule: FeeRuleRecord): z.infer<typeof feeRuleSchema> {
  return {
    id: rule.id,
    scope: rule.scope,
    funding: rule.funding,
    allowed: rule.allowed,
    maxPercent: percentText(rule.maxPercentBasisPoints),
    source: rule.source,
    sourceUrl: rule.sourceUrl,
    note: rule.note,
    updatedAt: rule.updatedAt.toISOString(),
    updatedBy: rule.updatedBy,
  };
}

function input(id: string, body: z.infer<typeof feeRuleBody>): FeeRuleInput {
  return { ...body, id, maxPercentBasisPoints: basisPoints(body.maxPercent) };
}

/** The operator reads and edits the fee rule table (operator token only, as the agencies routes). */
export function feeRuleRoutes(app: App, deps: RouteDeps, operatorToken: string | undefined): void {
  const onRequest = operatorOnly(operatorToken);
  const common = { config: { access: 'operator' as const }, onRequest };

  app.get(
    '/api/v1/operator/fee-rules',
    {
      ...common,
      schema: {
        tags: ['operator'],
        summary: 'The fee rule table: where a card or bank-account fee may be charged (operator token only)',
        response: { 200: z.object({ data: z.array(feeRuleSchema) }), ...errorResponses },
      },
    },
    async () => ({ data: (await listFeeRules(deps.db)).map(present) }),
  );

  app.post(
    '/api/v1/operator/fee-rules',
    {
      ...common,
      schema: {
        tags: ['operator'],
        summary: 'Create or replace a fee rule by its id (operator token only)',
        body: feeRuleBody.extend({ id: ruleId }),
        response: { 200: feeRuleSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id, ...body } = request.body;
      const rule = input(id, body);
      return respond(deps.db, request, reply, 200, async (tx) => present(await upsertFeeRule(tx, rule, 'operator')));
    },
  );

  app.put(
    '/api/v1/operator/fee-rules/:id',
    {
      ...common,
      config: { ...common.config, idempotent: true },
      schema: {
        tags: ['operator'],
        summary: 'Create or replace the fee rule with this id (operator token only)',
        params: z.strictObject({ id: ruleId }),
        body: feeRuleBody,
        response: { 200: feeRuleSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const rule = input(request.params.id, request.body);
      return respond(deps.db, request, reply, 200, async (tx) => present(await upsertFeeRule(tx, rule, 'operator')));
    },
  );
}
