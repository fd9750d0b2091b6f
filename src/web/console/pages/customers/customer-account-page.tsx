// /app/customers/{customerNumber}: customer header, balances, invoices, payment requests (request and
// finalize), policies, payments and activity.
import { useEffect, useState } from 'react';
import {
  ApiError,
  type Customer,
  type CustomerAccount,
  errorMessage,
  getCustomer,
  getCustomerAccount,
  isAbortError,
  type PaymentRequest,
} from '../../api/api.ts';
import { CancelRequestForm } from '../../forms/cancel-request-form.tsx';
import { FinalizeForm } from '../../forms/finalize-form.tsx';
import { OnAccountForm } from '../../forms/on-account-form.tsx';
import { PaymentRequestForm } from '../../forms/payment-request-form.tsx';
import { notifyFinalizeQueueChanged } from '../../shared/finalize-count.ts';
import { customerTypeLabel, formatMoney, todayIn } from '../../shared/format.ts';
import { Link } from '../../shared/router.tsx';
import { type Extras, loadExtras, Section } from './account-data.tsx';
import { ContactsSection } from './contacts-section.tsx';
import { CustomerForm } from './customer-form.tsx';
import { ActivityList, InvoicesTable, isPastDue, PaymentRequestsTable, PaymentsTable } from './customer-sections.tsx';
import { CustomerSyncPanel } from './customer-sync-panel.tsx';
import { PoliciesSection } from './policies-section.tsx';

type CustomerAccountPageProps = { customerNumber: number; timeZone: string; canFinalize: boolean };

type PageState =
  | { status: 'loading' }
  | { status: 'not-found' }
  | { status: 'error'; message: string }
  | { status: 'ready'; customer: Customer; account: CustomerAccount; extras: Extras };

type Panel =
  | { kind: 'none' }
  | { kind: 'edit' }
  | { kind: 'request' }
  | { kind: 'on-account' }
  | { kind: 'finalize'; request: PaymentRequest }
  | { kind: 'cancel'; request: PaymentRequest };

export function CustomerAccountPage({ customerNumber, timeZone, canFinalize }: CustomerAccountPageProps) {
  const [state, setState] = useState<PageState>({ status: 'loading' });
  const [reloadKey, setReloadKey] = useState(0);
  const [panel, setPanel] = useState<Panel>({ kind: 'none' });
  const [notice, setNotice] = useState<string | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reloadKey is a deliberate re-fetch trigger.
  useEffect(() => {
    const controller = new AbortController();
    // A reload after an action keeps the page on screen; only the first load shows "Loading".
    setState((current) => (current.status === 'ready' ? current : { status: 'loading' }));
    Promise.all([
      getCustomer(customerNumber, controller.signal),
      getCustomerAccount(customerNumber, controller.signal),
      loadExtras(customerNumber, controller.signal),
    ]).then(
      ([customer, account, extras]) => setState({ status: 'ready', customer, account, extras }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        if (error instanceof ApiError && error.status === 404) setState({ status: 'not-found' });
        else setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [customerNumber, reloadKey]);

  const customerName = state.status === 'ready' ? state.customer.name : null;
  useEffect(() => {
    document.title = `${customerName ?? `Customer ${customerNumber}`} · policypay`;
  }, [customerName, customerNumber]);

  const breadcrumb = (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        <li>
          <Link to="/app/customers">Customers</Link>
        </li>
        <li aria-current="page">{customerName ?? `#${customerNumber}`}</li>
      </ol>
    </nav>
  );

  if (state.status === 'loading') {
    return (
      <>
        {breadcrumb}
        <p className="loading" aria-live="polite">
          Loading account…
        </p>
      </>
    );
  }

  if (state.status === 'not-found') {
    return (
      <>
        {breadcrumb}
        <div className="card empty-state">
          <h1>Customer not found</h1>
          <p className="muted">There is no customer #{customerNumber} in this agency.</p>
          <Link to="/app/customers" className="button button-secondary">
            Back to customers
          </Link>
        </div>
      </>
    );
  }

  if (state.status === 'error') {
    return (
      <>
        {breadcrumb}
        <div className="alert alert-error" role="alert">
          <span>Could not load this account: {state.message}</span>
          <button type="button" className="button button-secondary" onClick={() => setReloadKey((k) => k + 1)}>
            Try again
          </button>
        </div>
      </>
    );
  }

  const { customer, account, extras } = state;
  const today = todayIn(timeZone);
  const openInvoices = account.invoices.filter((invoice) => invoice.balance > 0);
  const pastDue = openInvoices.filter((invoice) => isPastDue(invoice, today));
  const pastDueTotal = pastDue.reduce((sum, invoice) => sum + invoice.balance, 0);
  const changed = (message: string) => {
    setNotice(message);
    setReloadKey((k) => k + 1);
  };
  const contact = [customer.email, customer.phone].filter((value): value is string => Boolean(value));

  return (
    <>
      {breadcrumb}
      <div className="page-header">
        <div>
          <h1>{customer.name}</h1>
          <p className="page-subtitle">
            <span className="mono">Customer #{customer.customerNumber}</span>
            <span className={`badge badge-${customer.type === 'group' ? 'violet' : 'gray'}`}>
              {customerTypeLabel(customer.type)}
            </span>
            {contact.map((item) => (
              <span key={item}>{item}</span>
            ))}
          </p>
        </div>
        {panel.kind === 'none' && (
          <div className="page-actions">
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setNotice(null);
                setPanel({ kind: 'edit' });
              }}
            >
              Edit customer
            </button>
            <button
              type="button"
              className="button button-primary"
              onClick={() => {
                setNotice(null);
                setPanel({ kind: 'request' });
              }}
            >
              Request online payment
            </button>
          </div>
        )}
      </div>

      {notice && (
        <output className="alert alert-success" aria-live="polite">
          {notice}
        </output>
      )}

      {panel.kind === 'edit' && (
        <CustomerForm
          customer={customer}
          onCancel={() => setPanel({ kind: 'none' })}
          onSaved={(saved) => {
            setPanel({ kind: 'none' });
            setNotice(`Customer ${saved.name} saved.`);
            setReloadKey((k) => k + 1);
          }}
        />
      )}

      {panel.kind === 'request' && (
        <PaymentRequestForm
          customerNumber={customer.customerNumber}
          contacts={extras.contacts.ok ? extras.contacts.data : []}
          invoices={account.invoices}
          today={today}
          onCancel={() => setPanel({ kind: 'none' })}
          onSent={(request) => {
            setPanel({ kind: 'none' });
            setNotice(`Payment request for ${formatMoney(request.amount)} sent to ${request.contact.email}.`);
            setReloadKey((k) => k + 1);
          }}
        />
      )}
      {panel.kind === 'finalize' && (
        <FinalizeForm
          key={panel.request.id}
          request={panel.request}
          onCancel={() => setPanel({ kind: 'none' })}
          onFinalized={(request) => {
            setPanel({ kind: 'none' });
            setNotice(
              `Payment of ${formatMoney(request.amount)} finalized${request.receiptNumber !== null ? ` as receipt ${request.receiptNumber}` : ''}.`,
            );
            setReloadKey((k) => k + 1);
            notifyFinalizeQueueChanged();
          }}
        />
      )}

      {panel.kind === 'on-account' && (
        <OnAccountForm
          customerNumber={customer.customerNumber}
          onAccount={account.onAccount}
          invoices={account.invoices}
          onClose={() => setPanel({ kind: 'none' })}
          onApplied={(result) => {
            setPanel({ kind: 'none' });
            setNotice(
              `${formatMoney(result.appliedAmount)} of On Account credit applied to invoice ${result.invoiceNumber}.`,
            );
            setReloadKey((k) => k + 1);
          }}
        />
      )}

      {panel.kind === 'cancel' && (
        <CancelRequestForm
          key={panel.request.id}
          request={panel.request}
          onClose={() => setPanel({ kind: 'none' })}
          onCancelled={(request) => {
            setPanel({ kind: 'none' });
            setNotice(`Payment request for ${formatMoney(request.amount)} cancelled.`);
            setReloadKey((k) => k + 1);
          }}
        />
      )}

      <dl className="stats">
        <div className="stat">
          <dt>AR balance</dt>
          <dd className="money" data-testid="ar-balance">
            {formatMoney(account.arBalance)}
          </dd>
        </div>
        <div className="stat">
          <dt>On Account credit</dt>
          <dd className="money" data-testid="on-account">
            {formatMoney(account.onAccount)}
          </dd>
          {account.onAccount > 0 && openInvoices.length > 0 && panel.kind === 'none' && (
            <dd className="stat-action">
              <button
                type="button"
                className="button button-secondary"
                onClick={() => {
                  setNotice(null);
                  setPanel({ kind: 'on-account' });
                  window.scrollTo(0, 0);
                }}
              >
                Apply to invoices
              </button>
            </dd>
          )}
        </div>
        <div className="stat">
          <dt>Open invoices</dt>
          <dd>{openInvoices.length}</dd>
        </div>
        <div className="stat">
          <dt>Past due</dt>
          <dd className={`money${pastDueTotal > 0 ? ' text-danger' : ''}`}>{formatMoney(pastDueTotal)}</dd>
        </div>
      </dl>

      <section className="card" aria-labelledby="invoices-heading">
        <div className="card-header">
          <h2 id="invoices-heading">Invoices</h2>
        </div>
        <InvoicesTable invoices={account.invoices} today={today} />
      </section>

      <Section id="requests" title="Payment requests" loaded={extras.requests}>
        {(requests) => (
          <PaymentRequestsTable
            requests={requests}
            onFinalize={
              canFinalize
                ? (request) => {
                    setNotice(null);
                    setPanel({ kind: 'finalize', request });
                    window.scrollTo(0, 0);
                  }
                : undefined
            }
            onCancel={(request) => {
              setNotice(null);
              setPanel({ kind: 'cancel', request });
              window.scrollTo(0, 0);
            }}
          />
        )}
      </Section>
      <Section id="payments" title="Payments" loaded={extras.payments}>
        {(payments) => <PaymentsTable payments={payments} />}
      </Section>
      {extras.contacts.ok ? (
        <ContactsSection customerNumber={customer.customerNumber} contacts={extras.contacts.data} onChanged={changed} />
      ) : (
        <Section id="contacts" title="Contacts" loaded={extras.contacts}>
          {() => null}
        </Section>
      )}
      {extras.policies.ok ? (
        <PoliciesSection
          customerNumber={customer.customerNumber}
          policies={extras.policies.data}
          today={today}
          onChanged={changed}
        />
      ) : (
        <Section id="policies" title="Policies" loaded={extras.policies}>
          {() => null}
        </Section>
      )}
      <Section id="activities" title="Activity" loaded={extras.activities}>
        {(activities) => <ActivityList activities={activities} />}
      </Section>
      <CustomerSyncPanel customerNumber={customer.customerNumber} />
    </>
  );
}
