import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 16: one portal identity per e-mail address and agency, in place of one login bound to one
// contact. The customers an identity may see are not stored: they are the customers having a
// contact with that e-mail, read on every request, so a contact removed or re-addressed ends its
// access at once. A session remembers which of them it is looking at (the account switcher).
// Every enrolled login becomes the identity of its e-mail (same id, password and enrollment
// time), and every open session stays signed in on the customer it was for.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    CREATE TABLE portal_identities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      agency_id uuid NOT NULL REFERENCES agencies(id),
      email text NOT NULL CHECK (email = lower(email) AND email <> ''),
      password_hash text,
      enrolled_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (agency_id, id),
      UNIQUE (agency_id, email)
    );

    -- portal_accounts was already unique on (agency, lower(email)): one identity per row.
    INSERT INTO portal_identities (id, agency_id, email, password_hash, enrolled_at)
      SELECT id, agency_id, lower(email), password_hash, enrolled_at FROM portal_accounts;

    ALTER TABLE portal_sessions ADD COLUMN customer_id uuid;
    UPDATE portal_sessions s SET customer_id = a.customer_id FROM portal_accounts a WHERE a.id = s.account_id;
    ALTER TABLE portal_sessions ALTER COLUMN customer_id SET NOT NULL;
    ALTER TABLE portal_sessions DROP CONSTRAINT portal_sessions_agency_id_account_id_fkey;
    ALTER TABLE portal_sessions RENAME COLUMN account_id TO identity_id;
    ALTER TABLE portal_sessions ADD CONSTRAINT portal_sessions_identity_fk
      FOREIGN KEY (agency_id, identity_id) REFERENCES portal_identities (agency_id, id);
    ALTER TABLE portal_sessions ADD CONSTRAINT portal_sessions_customer_fk
      FOREIGN KEY (agency_id, customer_id) REFERENCES customers (agency_id, id);
    CREATE INDEX portal_sessions_identity_idx ON portal_sessions (identity_id);

    DROP TABLE portal_accounts;

    -- A link proves the address it was mailed to: redeemed after the contact's address changed,
    -- it must not enroll (or sign in) the new address. Links mailed before 0014 have none.
    ALTER TABLE portal_tokens ADD COLUMN email text;

    -- An identity's customers: the contacts with its address, looked up on every portal request.
    CREATE INDEX contacts_agency_email_idx ON contacts (agency_id, lower(email)) WHERE email IS NOT NULL;
    `,
  );
}

export async function down(): Promise<void> {
  throw new Error('policypay migrations are forward-only');
}
