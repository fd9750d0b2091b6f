import { readFileSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 20.3: convenience fees where the law allows them. `fee_rules` is the rule table (a state's
// law or a card network's rule per card funding), global to the deployment because laws are, and
// edited by the operator; it starts as the shipped data file src/payments/fees/fee-rules.json
// (read here, not imported: platform/db imports no capability; the embedded template's key hashes
// that file too). A payment records its fee and the rule that allowed it (the rule's id as text:
// the operator may later edit or delete the row, the payment keeps what was decided). A receipt
// records the fee it took beside the premium; the fee's ledger line credits `convenience_fees`,
// never AR or On Account. A saved card knows its funding (credit, debit, prepaid, unknown).
// A later change to the shipped rows comes with a migration of its own.
export const feeRulesFile = new URL('../../../payments/fees/fee-rules.json', import.meta.url);

interface ShippedRule {
  id: string;
  scope: string;
  funding: string;
  allowed: boolean;
  maxPercent: string | null;
  source: string;
  sourceUrl: string | null;
  note: string;
}

function basisPoints(percent: string | null): number | null {
  if (percent === null) return null;
  const match = /^(\d{1,3})\.(\d{2})$/.exec(percent);
  if (!match) throw new Error(`fee-rules.json: maxPercent "${percent}" must look like 3.00`);
  return Number(match[1]) * 100 + Number(match[2]);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE fee_rules (
      id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,79}$'),
      scope text NOT NULL CHECK (scope = 'network' OR scope ~ '^[A-Z]{2}$'),
      funding text NOT NULL CHECK (funding IN ('credit', 'debit', 'prepaid', 'bank_account')),
      allowed boolean NOT NULL,
      max_percent_basis_points integer CHECK (max_percent_basis_points BETWEEN 0 AND 10000),
      source text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
      source_url text CHECK (length(source_url) <= 500),
      note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text NOT NULL DEFAULT 'policypay',
      CHECK (allowed OR max_percent_basis_points IS NULL)
    );
    CREATE INDEX fee_rules_scope_idx ON fee_rules (funding, scope);

    ALTER TABLE payments ADD COLUMN fee_cents bigint NOT NULL DEFAULT 0 CHECK (fee_cents >= 0);
    ALTER TABLE payments ADD COLUMN fee_rule_id text;
    ALTER TABLE payments ADD CONSTRAINT payments_fee_rule_check CHECK (fee_cents = 0 OR fee_rule_id IS NOT NULL);
    ALTER TABLE receipts ADD COLUMN fee_cents bigint NOT NULL DEFAULT 0 CHECK (fee_cents >= 0);
    ALTER TABLE payment_refunds ADD COLUMN fee_cents bigint NOT NULL DEFAULT 0 CHECK (fee_cents >= 0);
    ALTER TABLE payment_methods ADD COLUMN funding text
      CHECK (funding IN ('credit', 'debit', 'prepaid', 'unknown'));

    ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_account_check;
    ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_account_check CHECK (account IN
      ('accounts_receivable', 'on_account', 'premium', 'cash', 'fees', 'processor_clearing', 'payments_held',
       'opening_balance', 'convenience_fees'));
    `,
  );
  const shipped = JSON.parse(readFileSync(feeRulesFile, 'utf8')) as { rules: ShippedRule[] };
  for (const rule of shipped.rules) {
    await sql`
      INSERT INTO fee_rules (id, scope, funding, allowed, max_percent_basis_points, source, source_url, note)
      VALUES (${rule.id}, ${rule.scope}, ${rule.funding}, ${rule.allowed}, ${basisPoints(rule.maxPercent)},
              ${rule.source}, ${rule.sourceUrl}, ${rule.note})`.execute(db);
  }
}
