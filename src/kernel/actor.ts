/** Who is calling: every service call is made on behalf of one actor in one agency. */
export interface Actor {
  agencyId: string;
  role: 'staff' | 'agent' | 'client';
  /** A signed-in user, when the caller is one. */
  userId?: string | undefined;
  /** The API key, when the caller is an integration. */
  apiKeyId?: string | undefined;
  /** Bank short names the caller may deposit to; null means all banks. */
  banks: string[] | null;
  /** Bank divisions the caller may deposit to; null means all divisions. */
  divisions: string[] | null;
  /** How the caller appears in activities and the audit log, e.g. `user:jane@agency.com`. */
  label: string;
  /**
   * A portal client: one identity (an e-mail address), acting for the customer its session is
   * looking at, as that customer's contact with the identity's address.
   */
  client?: { identityId: string; customerId: string; customerNumber: number; contactId: string } | undefined;
}

export function systemActor(agencyId: string, label = 'system'): Actor {
  return { agencyId, role: 'staff', banks: null, divisions: null, label };
}
