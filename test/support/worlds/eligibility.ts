// The world of the payment settings and eligibility tests (test/http/eligibility-*.test.ts): a test
// agency with staff, agent and client callers, and the demo agency with its policies in every status.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createApiKey } from '../../../src/agency/api-keys.ts';
import { createUser } from '../../../src/agency/users.ts';
import type { PolicyStatus } from '../../../src/customers/rules/policy-lifecycle.ts';
import { loadDemoAgency } from '../../../src/demo/demo-agency.ts';
import { defaultPaymentSettings } from '../../../src/eligibility/rules/payment-settings.ts';
import { systemActor } from '../../../src/kernel/actor.ts';
import type { Target } from '../db.ts';
import { type ApiClient, apiClient, type JsonResponse } from '../http.ts';
import { startTestServer, type TestServer } from '../server.ts';

const DEMO_KEY = 'pp_demo_key_for_eligibility_tests';
/** The defaults as the API shows them: amounts instead of cents. */
const { nsfFeeCents: _noFee, ...flags } = defaultPaymentSettings;
export const defaultFlags = flags;
export const defaultsAsJson = { ...defaultFlags, poorPaymentHistoryAfterReturns: 2, autopayHour: 6, nsfFee: null };
export const SETTINGS = '/api/v1/settings/payments';

export function assertProblem(res: JsonResponse, status: number, paths: string[] = []): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(res.body.status, status);
  for (const path of paths) {
    assert.ok(
      res.body.errors?.some((e: { path: string }) => e.path === path),
      `${path} in ${JSON.stringify(res.body.errors)}`,
    );
  }
}

export interface DemoPolicy {
  policyNumber: string;
  policyId: string;
  status: PolicyStatus;
  cancellationReason: 'non_pay' | 'underwriting' | 'insured_request' | 'other' | null;
  cancellationEffectiveDate: string | null;
  tags: string[];
}

export interface EligibilityWorld {
  server: TestServer;
  staff: ApiClient;
  agent: ApiClient;
  clientCookie: string;
  demo: ApiClient;
  demoAgent: ApiClient;
  demoAgencyId: string;
  policies: DemoPolicy[];
}

export async function startEligibilityWorld(target: Target): Promise<EligibilityWorld> {
  const server = await startTestServer({ target, web: false });
  const db = server.database.db;
  const staff = apiClient(server.url, server.agency.apiKey);
  const agentKey = await createApiKey(db, server.agency.actor, { name: 'producer', role: 'agent' });
  const agent = apiClient(server.url, agentKey.key);
  const client = { email: 'client@harbor.example', password: 'a client password 123' };
  await createUser(db, server.agency.actor, { ...client, name: 'Carla Client', role: 'client' });
  const signedIn = await apiClient(server.url).post('/api/v1/session', client);
  assert.equal(signedIn.status, 200);
  const clientCookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0]!;

  const load = await loadDemoAgency(db, { apiKey: DEMO_KEY, now: new Date() });
  const demoAgencyId = load.agency.id;
  const demo = apiClient(server.url, DEMO_KEY);
  const demoAgentKey = await createApiKey(db, systemActor(demoAgencyId), { name: 'demo agent', role: 'agent' });
  const demoAgent = apiClient(server.url, demoAgentKey.key);
  const rows = await db
    .selectFrom('policies')
    .select(['id', 'policy_number', 'status', 'cancellation_reason', 'cancellation_effective_date', 'tags'])
    .where('agency_id', '=', demoAgencyId)
    .orderBy('policy_number')
    .execute();
  const policies = rows.map((r) => ({
    policyNumber: r.policy_number,
    policyId: r.id,
    status: r.status,
    cancellationReason: r.cancellation_reason,
    cancellationEffectiveDate: r.cancellation_effective_date,
    tags: r.tags,
  }));
  return { server, staff, agent, clientCookie, demo, demoAgent, demoAgencyId, policies };
}

/** Queries the tests ask of the world; `current` is read at each call (the world is set in `before`). */
export function eligibilityQueries(current: () => { server: TestServer; policies: DemoPolicy[] }) {
  const byStatus = (status: PolicyStatus, test: (p: DemoPolicy) => boolean = () => true) => {
    const found = current().policies.find((p) => p.status === status && test(p));
    assert.ok(found, `a demo policy in ${status}`);
    return found;
  };
  const eligibility = (client: ApiClient, policyNumber: string, query: Record<string, string>) =>
    client.get(
      `/api/v1/policies/${encodeURIComponent(policyNumber)}/payment-eligibility?${new URLSearchParams(query)}`,
    );
  const auditCount = async (agencyId: string) =>
    Number(
      (
        await sql<{ n: bigint }>`SELECT count(*) AS n FROM audit_log
          WHERE agency_id = ${agencyId} AND action = 'payment_settings.updated'`.execute(current().server.database.db)
      ).rows[0]!.n,
    );
  const storedSettings = async (agencyId: string) =>
    (
      await current()
        .server.database.db.selectFrom('agencies')
        .select('settings')
        .where('id', '=', agencyId)
        .executeTakeFirstOrThrow()
    ).settings;
  return { byStatus, eligibility, auditCount, storedSettings };
}
