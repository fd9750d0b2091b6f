import { randomBytes } from 'node:crypto';
import { type Actor, systemActor } from '../kernel/actor.ts';
import { DomainError } from '../kernel/errors.ts';
import { audit } from '../platform/db/audit.ts';
import { type Db, inTransaction, isUniqueViolation, type Tx } from '../platform/db/transaction.ts';
import { type AgencyView, createAgency, findAgencyBySlug } from './agencies.ts';
import { updatePaymentSettings } from './payment-settings.ts';
import { checkNewAgency, type NewAgencyInput } from './rules/new-agency.ts';
import { createUser } from './users.ts';

interface AgencyProfile extends AgencyView {
  addressLine1: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
  backupEmail: string;
  createdAt: Date;
}

export interface AgencySetUp {
  agency: AgencyProfile;
  staff: { id: string; email: string; name: string };
  /** The first staff user's password, only when none was given and one was generated now. */
  generatedPassword?: string;
}

/** 24 characters of base64url: 144 random bits, for a first password nobody chose. */
function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

function slugTaken(slug: string): DomainError {
  return new DomainError('already_exists', `an agency with slug "${slug}" already exists`, {
    errors: [{ path: 'slug', message: 'already exists' }],
  });
}

/**
 * Sets an agency up in one transaction: the agency and its profile, the backup e-mail of its
 * payment settings, and its first staff user. Everything is checked before anything is written;
 * a taken slug or staff e-mail leaves nothing behind.
 */
export async function setUpAgency(db: Db | Tx, raw: NewAgencyInput, label = 'operator'): Promise<AgencySetUp> {
  const input = checkNewAgency(raw);
  const password = input.staffPassword ?? generatePassword();
  return inTransaction(db, async (tx) => {
    if (await findAgencyBySlug(tx, input.slug)) throw slugTaken(input.slug);
    let row: Awaited<ReturnType<typeof createAgency>>;
    try {
      row = await createAgency(tx, input);
    } catch (error) {
      // Another request took the slug between the check and the insert.
      if (isUniqueViolation(error)) throw slugTaken(input.slug);
      throw error;
    }
    const actor: Actor = systemActor(row.id, label);
    await audit(tx, actor, 'agency.created', { type: 'agency', id: row.id }, { slug: input.slug });
    const staff = await createUser(tx, actor, {
      email: input.staffEmail,
      name: input.staffName,
      role: 'staff',
      password,
    });
    await updatePaymentSettings(tx, actor, { backupEmail: input.backupEmail });
    return {
      agency: {
        id: row.id,
        slug: input.slug,
        name: input.name,
        timeZone: input.timeZone,
        addressLine1: input.addressLine1 ?? null,
        city: input.city ?? null,
        state: input.state ?? null,
        postalCode: input.postalCode ?? null,
        backupEmail: input.backupEmail,
        createdAt: row.createdAt,
      },
      staff: { id: staff.id, email: staff.email, name: staff.name },
      ...(input.staffPassword === undefined ? { generatedPassword: password } : {}),
    };
  });
}

export interface AgencyListItem {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

/** Every agency this deployment hosts, oldest first: for its operator only. */
export async function listAgencies(db: Db | Tx): Promise<AgencyListItem[]> {
  const rows = await db
    .selectFrom('agencies')
    .select(['id', 'slug', 'name', 'created_at'])
    .orderBy('created_at')
    .orderBy('slug')
    .execute();
  return rows.map((row) => ({ id: row.id, slug: row.slug, name: row.name, createdAt: row.created_at }));
}
