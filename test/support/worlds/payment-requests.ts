// Steps of the payment-request tests (test/http/payment-requests-*.test.ts) on a PortalWorld: the
// staff console's cookie session, a request, a client enrolled from its e-mail, an AR balance.
import assert from 'node:assert/strict';
import { apiClient } from '../http.ts';
import { portalLink, waitFor } from '../mail.ts';
import { type PortalClient, type PortalWorld, portalClient } from '../portal.ts';

/** The staff console's client: signed in with the session cookie, like the web UI. */
function cookieClient(url: string, cookie: string) {
  const api = apiClient(url);
  const withCookie = (headers: Record<string, string> = {}) => ({ cookie, ...headers });
  return {
    get: (path: string) => api.get(path, withCookie()),
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      api.post(path, body ?? {}, withCookie(headers)),
  };
}

export type StaffClient = ReturnType<typeof cookieClient>;

/** Signs staff in as the web UI does, and sets the agency's backup e-mail address to `backup`. */
export async function staffConsoleSession(world: PortalWorld, backup: string): Promise<StaffClient> {
  const signIn = await fetch(`${world.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(world.agency.staff),
  });
  assert.equal(signIn.status, 200);
  const staff = cookieClient(world.url, signIn.headers.getSetCookie()[0]!.split(';')[0]!);
  const patched = await world.api.patch('/api/v1/settings/payments', { backupEmail: backup });
  assert.equal(patched.status, 200);
  assert.equal(patched.body.backupEmail, backup);
  return staff;
}

/** `current` is read at each call: the tests set the world and the staff session in `before`. */
export function paymentRequestSteps(current: () => { world: PortalWorld; staff: StaffClient }) {
  async function enroll(email: string, requestId?: string): Promise<PortalClient> {
    const { world } = current();
    const mail = await waitFor(`the e-mail to ${email}`, () =>
      world.smtp.messages.findLast(
        (m) => m.to.includes(email) && (!requestId || m.decoded.includes(`request=${requestId}`)),
      ),
    );
    const link = portalLink(mail);
    const client = portalClient(world.url);
    const redeemed = await client.post('/api/v1/portal/tokens/redeem', {
      agency: link.searchParams.get('agency'),
      token: link.searchParams.get('token'),
    });
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    return client;
  }

  async function request(customer: { customerNumber: number; contactId: string }, amount: number, extra = {}) {
    const { staff } = current();
    const res = await staff.post(
      '/api/v1/payment-requests',
      {
        customerNumber: customer.customerNumber,
        contactId: customer.contactId,
        amount,
        dueDate: '2099-11-01',
        ...extra,
      },
      { 'idempotency-key': `req-${Math.random()}` },
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }

  async function arBalance(customerNumber: number): Promise<number> {
    const { world } = current();
    return (await world.api.get(`/api/v1/customers/${customerNumber}/account`)).body.arBalance;
  }
  return { enroll, request, arBalance };
}
