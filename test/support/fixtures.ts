import { randomBytes } from 'node:crypto';
import { createAgency } from '../../src/agency/agencies.ts';
import { createApiKey } from '../../src/agency/api-keys.ts';
import { createUser } from '../../src/agency/users.ts';
import type { Actor } from '../../src/kernel/actor.ts';
import { systemActor } from '../../src/kernel/actor.ts';
import type { Db } from '../../src/platform/db/transaction.ts';

export interface TestAgency {
  id: string;
  slug: string;
  name: string;
  actor: Actor;
  apiKey: string;
  staff: { email: string; password: string };
}

/** An agency with a staff API key and a staff user who can sign in. */
export async function createTestAgency(db: Db, name = 'Test Agency'): Promise<TestAgency> {
  const slug = `agency-${randomBytes(4).toString('hex')}`;
  const agency = await createAgency(db, { slug, name, timeZone: 'America/Chicago' });
  const actor = systemActor(agency.id, 'test');
  const key = await createApiKey(db, actor, { name: 'test', role: 'staff' });
  const staff = { email: `staff@${slug}.example`, password: 'correct horse battery staple' };
  await createUser(db, actor, {
    email: staff.email,
    name: 'Sam Staff',
    role: 'staff',
    password: staff.password,
  });
  return { id: agency.id, slug, name, actor: { ...actor, label: 'test' }, apiKey: key.key, staff };
}
