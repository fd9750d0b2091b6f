// The frame every report shares: its title, the reports' own navigation, the controls (labelled
// fields and Apply), Export CSV and Print; the picture and the table come from the report's page.
// Print: the browser's, with reports.css hiding the navigation and the controls.
import { type FormEvent, type ReactNode, useEffect, useState } from 'react';
import { errorMessage, isAbortError } from '../../api/api.ts';
import {
  getReport,
  type ReportName,
  type ReportParams,
  reportCsvHref,
  reportNames,
  reportParamsOf,
  reportQuery,
  reportTitles,
} from '../../api/reports-api.ts';
import { Link, navigate } from '../../shared/router.tsx';

export type ReportState<T> =
  | { status: 'loading' }
  | { status: 'ready'; report: T }
  | { status: 'error'; message: string };

/** The report the URL asks for, fetched again whenever the URL's search changes. */
export function useReport<T>(report: ReportName, search: string): ReportState<T> {
  const [state, setState] = useState<ReportState<T>>({ status: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    getReport<T>(report, reportParamsOf(report, search), controller.signal).then(
      (result) => setState({ status: 'ready', report: result }),
      (error: unknown) => {
        if (!isAbortError(error)) setState({ status: 'error', message: errorMessage(error) });
      },
    );
    return () => controller.abort();
  }, [report, search]);
  return state;
}

type ReportField =
  | { name: string; label: string; type: 'date' }
  | { name: string; label: string; type: 'select'; options: { value: string; label: string }[] };

type ShellProps = {
  report: ReportName;
  search: string;
  subtitle: string;
  fields: ReportField[];
  /** The values the server used (e.g. the default dates), shown in the fields when the URL has none. */
  shown: ReportParams;
  state: ReportState<unknown>;
  children: ReactNode;
};

export function ReportShell({ report, search, subtitle, fields, shown, state, children }: ShellProps) {
  const params = reportParamsOf(report, search);
  const [form, setForm] = useState<ReportParams>({ ...shown, ...params });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the form follows the URL and the report's answer.
  useEffect(() => setForm({ ...shown, ...reportParamsOf(report, search) }), [search, JSON.stringify(shown)]);
  useEffect(() => {
    document.title = `${reportTitles[report]} · Reports · policypay`;
  }, [report]);

  function apply(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const query = reportQuery(form);
    navigate(`/app/reports/${report}${query ? `?${query}` : ''}`);
  }

  return (
    <>
      <nav aria-label="Reports" className="report-nav">
        {reportNames.map((name) => (
          <Link key={name} to={`/app/reports/${name}`} aria-current={name === report ? 'page' : undefined}>
            {reportTitles[name]}
          </Link>
        ))}
      </nav>
      <div className="page-header">
        <div>
          <h1>{reportTitles[report]}</h1>
          <p className="page-subtitle">{subtitle}</p>
        </div>
        <div className="filter-actions report-actions">
          <a className="button button-secondary" href={reportCsvHref(report, params)} download>
            Export CSV
          </a>
          <button type="button" className="button button-secondary" onClick={() => window.print()}>
            Print
          </button>
        </div>
      </div>
      <form className="card filter-bar report-controls" onSubmit={apply} aria-label={`${reportTitles[report]} options`}>
        {fields.map((field) => {
          const id = `report-${field.name}`;
          const value = form[field.name] ?? '';
          const set = (next: string) => setForm((current) => ({ ...current, [field.name]: next }));
          return (
            <div className="field" key={field.name}>
              <label htmlFor={id}>{field.label}</label>
              {field.type === 'date' ? (
                <input id={id} type="date" value={value} onChange={(e) => set(e.target.value)} />
              ) : (
                <select id={id} value={value} onChange={(e) => set(e.target.value)}>
                  {field.options.map((option) => (
                    <option key={option.value} value={option.value}>
                      {option.label}
                    </option>
                  ))}
                </select>
              )}
            </div>
          );
        })}
        <div className="filter-actions">
          <button type="submit" className="button button-primary">
            Apply
          </button>
        </div>
      </form>
      {state.status === 'error' && (
        <div className="alert alert-error" role="alert">
          Could not load the report: {state.message}
        </div>
      )}
      {state.status === 'loading' && (
        <p className="card empty-cell" aria-busy="true">
          Loading the report…
        </p>
      )}
      {state.status === 'ready' && children}
    </>
  );
}

/** A chart with its caption; the table below it carries the same numbers for screen readers and print. */
export function ChartFigure({ caption, children }: { caption: string; children: ReactNode }) {
  return (
    <figure className="card report-chart">
      <figcaption>{caption}</figcaption>
      <div className="report-chart-box" aria-hidden="true">
        {children}
      </div>
    </figure>
  );
}
