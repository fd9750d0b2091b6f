import { sql } from 'kysely';
import { invalid } from '../../kernel/errors.ts';
import type { Db, Tx } from '../../platform/db/transaction.ts';
import type { FeeRule, FeeRuleFunding } from '../rules/card-fees.ts';

/**
 * The fee rule table (docs/card-fees.md): shipped as src/payments/fees/fee-rules.json, loaded by
 * migration 0029, edited by the operator. Global to the deployment: a state's law is the same for
 * every agency.
 */
export interface FeeRuleRecord extends FeeRule {
  source: string;
  sourceUrl: string | null;
  note: string;
  updatedAt: Date;
  updatedBy: string;
}

export type FeeRuleInput = Omit<FeeRuleRecord, 'updatedAt' | 'updatedBy'>;

interface FeeRuleRow {
  id: string;
  scope: string;
  funding: FeeRuleFunding;
  allowed: boolean;
  max_percent_basis_points: number | null;
  source: string;
  source_url: string | null;
  note: string;
  updated_at: Date;
  updated_by: string;
}

function fromRow(row: FeeRuleRow): FeeRuleRecord {
  return {
    id: row.id,
    scope: row.scope,
    funding: row.funding,
    allowed: row.allowed,
    maxPercentBasisPoints: row.max_percent_basis_points,
    source: row.source,
    sourceUrl: row.source_url,
    note: row.note,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** Every rule, networks first, then states by code. */
export async function listFeeRules(db: Db | Tx): Promise<FeeRuleRecord[]> {
  const rows = await db
    .selectFrom('fee_rules')
    .selectAll()
    .orderBy((eb) => eb.case().when('scope', '=', 'network').then(0).else(1).end())
    .orderBy('scope')
    .orderBy('funding')
    .orderBy('id')
    .execute();
  return rows.map(fromRow);
}

/** The rules that can apply to one payment: the networks' and the insured's state's for its funding. */
export async function applicableFeeRules(
  db: Db | Tx,
  state: string | null,
  funding: FeeRuleFunding,
): Promise<FeeRule[]> {
  const scopes = state ? ['network', state.toUpperCase()] : ['network'];
  const rows = await db
    .selectFrom('fee_rules')
    .select(['id', 'scope', 'funding', 'allowed', 'max_percent_basis_points'])
    .where('funding', '=', funding)
    .where('scope', 'in', scopes)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    scope: r.scope,
    funding: r.funding,
    allowed: r.allowed,
    maxPercentBasisPoints: r.max_percent_basis_points,
  }));
}

/**
 * Creates or replaces one rule by id (the operator's edit). A forbidding rule has no cap: what
 * it forbids has no percent. The shape is checked by the route; this is the rule between fields.
 */
export async function upsertFeeRule(db: Db | Tx, input: FeeRuleInput, by: string): Promise<FeeRuleRecord> {
  if (!input.allowed && input.maxPercentBasisPoints !== null) {
    throw invalid('maxPercent', 'must be null when allowed is false');
  }
  const values = {
    id: input.id,
    scope: input.scope,
    funding: input.funding,
    allowed: input.allowed,
    max_percent_basis_points: input.maxPercentBasisPoints,
    source: input.source,
    source_url: input.sourceUrl,
    note: input.note,
    updated_by: by,
  };
  const row = await db
    .insertInto('fee_rules')
    .values(values)
    .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updated_at: sql`now()` }))
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(row);
}
