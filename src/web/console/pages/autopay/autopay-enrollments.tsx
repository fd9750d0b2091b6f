// The Autopay page's enrollments in force, by customer number, a keyset page at a time: "Next"
// asks for the customers after the last one shown; "Previous" goes back along the pages seen.
import { useState } from 'react';
import { type AutopayEnrollment, listAutopayEnrollments } from '../../api/autopay-api.ts';
import { Link } from '../../shared/router.tsx';
import { TableWrap } from '../../shared/table-wrap.tsx';
import { agencyDateTime, useLoaded } from './autopay-shared.ts';

function methodLabel(method: AutopayEnrollment['paymentMethod']): string {
  const brand = method.brand ? method.brand.charAt(0).toUpperCase() + method.brand.slice(1) : 'Card';
  const name = method.kind === 'ach' ? 'Bank account' : brand;
  return `${name} ending ${method.last4}`;
}

export function EnrollmentsSection({ reload, timeZone }: { reload: number; timeZone: string }) {
  // The `after` of each page seen, so Previous needs no offset.
  const [pages, setPages] = useState<(number | null)[]>([null]);
  const after = pages[pages.length - 1] ?? null;
  const state = useLoaded(
    (signal) => listAutopayEnrollments(after, signal),
    `${reload}:${pages.length}:${after ?? ''}`,
  );
  const page = pages.length;

  return (
    <section className="card autopay-section" aria-labelledby="autopay-enrollments-heading">
      <div className="card-header">
        <h2 id="autopay-enrollments-heading">Enrollments</h2>
      </div>
      {state.status === 'error' && (
        <div className="alert alert-error card-alert" role="alert">
          Could not load the enrollments: {state.message}
        </div>
      )}
      <TableWrap label="Enrollments">
        <table className="data-table" aria-label="Enrollments">
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">Method</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {state.status === 'loading' && (
              <tr>
                <td colSpan={3} className="empty-cell">
                  Loading the enrollments…
                </td>
              </tr>
            )}
            {state.status === 'ready' && state.value.data.length === 0 && (
              <tr>
                <td colSpan={3} className="empty-cell">
                  No customer is enrolled in autopay.
                </td>
              </tr>
            )}
            {state.status === 'ready' &&
              state.value.data.map((enrollment) => (
                <tr key={enrollment.customerNumber}>
                  <th scope="row">
                    <Link to={`/app/customers/${enrollment.customerNumber}`}>{enrollment.customerName}</Link>{' '}
                    <span className="muted">{enrollment.customerNumber}</span>
                  </th>
                  <td>
                    {methodLabel(enrollment.paymentMethod)}
                    {!enrollment.paymentMethod.usable && <span className="badge badge-red"> Unusable</span>}
                  </td>
                  <td>{agencyDateTime(enrollment.enrolledAt, timeZone)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </TableWrap>
      <nav className="autopay-pager" aria-label="Enrollment pages">
        <button
          type="button"
          className="button button-secondary"
          disabled={page === 1}
          onClick={() => setPages((seen) => seen.slice(0, -1))}
        >
          Previous enrollments
        </button>
        <span className="muted">Page {page}</span>
        <button
          type="button"
          className="button button-secondary"
          disabled={state.status !== 'ready' || state.value.nextAfter === null}
          onClick={() => {
            if (state.status === 'ready' && state.value.nextAfter !== null && state.value.nextAfter !== after) {
              const next = state.value.nextAfter;
              setPages((seen) => [...seen, next]);
            }
          }}
        >
          Next enrollments
        </button>
      </nav>
    </section>
  );
}
