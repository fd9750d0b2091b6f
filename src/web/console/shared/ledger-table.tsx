// The journal entries behind a receipt or an invoice, one row per line, debit and credit columns
// (never a signed number): how an accountant reads them.
import type { LedgerEntry } from '../api/receipts-api.ts';
import { formatDate, formatMoney, humanize } from './format.ts';
import { TableWrap } from './table-wrap.tsx';

export function LedgerSection({ id, entries }: { id: string; entries: LedgerEntry[] }) {
  return (
    <section className="card" aria-labelledby={id}>
      <div className="card-header">
        <h2 id={id}>Ledger</h2>
      </div>
      <TableWrap label="Ledger lines">
        <table className="data-table" aria-label="Ledger lines">
          <thead>
            <tr>
              <th scope="col">Entry</th>
              <th scope="col">Account</th>
              <th scope="col">Invoice</th>
              <th scope="col">Bank</th>
              <th scope="col" className="num">
                Debit
              </th>
              <th scope="col" className="num">
                Credit
              </th>
            </tr>
          </thead>
          <tbody>
            {entries.flatMap((entry) =>
              entry.lines.map((line, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: an entry's lines keep their order.
                <tr key={`${entry.id}-${i}`}>
                  <td>{i === 0 ? `${formatDate(entry.occurredOn)} · ${entry.description}` : ''}</td>
                  <td>{humanize(line.account)}</td>
                  <td className="mono">{line.invoiceNumber ?? ''}</td>
                  <td>{line.bankShortName ?? ''}</td>
                  <td className="num">{line.debit === null ? '' : formatMoney(line.debit)}</td>
                  <td className="num">{line.credit === null ? '' : formatMoney(line.credit)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </TableWrap>
    </section>
  );
}
