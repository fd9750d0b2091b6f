// What the customer page loads besides the customer and its account: each list loaded (or failed)
// on its own, so one missing endpoint never blanks the page, and the card each is shown in.
import type { ReactNode } from 'react';
import {
  type Activity,
  type Contact,
  errorMessage,
  isAbortError,
  listActivities,
  listContacts,
  listPaymentRequests,
  listPayments,
  listPolicies,
  type Payment,
  type PaymentRequest,
  type Policy,
} from '../../api/api.ts';
import { Unavailable } from './customer-sections.tsx';

/** A secondary list either loaded or failed on its own, so one missing endpoint never blanks the page. */
export type Loaded<T> = { ok: true; data: T[] } | { ok: false; message: string };

export type Extras = {
  contacts: Loaded<Contact>;
  policies: Loaded<Policy>;
  payments: Loaded<Payment>;
  requests: Loaded<PaymentRequest>;
  activities: Loaded<Activity>;
};

function settle<T>(promise: Promise<{ data: T[] }>): Promise<Loaded<T>> {
  return promise.then(
    ({ data }) => ({ ok: true as const, data }),
    (error: unknown) => {
      if (isAbortError(error)) throw error;
      return { ok: false as const, message: errorMessage(error) };
    },
  );
}

export function loadExtras(customerNumber: number, signal: AbortSignal): Promise<Extras> {
  return Promise.all([
    settle(listContacts(customerNumber, signal)),
    settle(listPolicies(customerNumber, signal)),
    settle(listPayments(customerNumber, signal)),
    settle(listPaymentRequests(customerNumber, signal)),
    settle(listActivities(customerNumber, signal)),
  ]).then(([contacts, policies, payments, requests, activities]) => ({
    contacts,
    policies,
    payments,
    requests,
    activities,
  }));
}

export function Section<T>({
  id,
  title,
  loaded,
  children,
}: {
  id: string;
  title: string;
  loaded: Loaded<T>;
  children: (data: T[]) => ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <div className="card-header">
        <h2 id={`${id}-heading`}>{title}</h2>
      </div>
      {loaded.ok ? children(loaded.data) : <Unavailable message={loaded.message} />}
    </section>
  );
}
