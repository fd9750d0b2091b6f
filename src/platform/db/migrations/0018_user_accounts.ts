import type { Kysely } from 'kysely';
import { runScript } from './sql-script.ts';

// Issue 18: staff manage the agency's users and API keys in the console.
// A deactivated user keeps their row (customers name them as producer or CSR; the audit log names
// them) but can no longer sign in. Invitation and password-reset links are single-use tokens of
// which only the SHA-256 is stored, with an expiry. An API key's last use is written at most once a
// minute per key (api-keys.ts), not on every request.
export async function up(db: Kysely<unknown>): Promise<void> {
  await runScript(
    db,
    `
    ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
    ALTER TABLE users ADD COLUMN last_sign_in_at timestamptz;

    CREATE TABLE password_links (
      token_hash text PRIMARY KEY,
      agency_id uuid NOT NULL REFERENCES agencies(id),
      user_id uuid NOT NULL REFERENCES users(id),
      purpose text NOT NULL CHECK (purpose IN ('invite', 'reset')),
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      used_at timestamptz
    );
    CREATE INDEX password_links_user_idx ON password_links (agency_id, user_id);

    ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
    `,
  );
}
