// /app/reports/<name>: the report the URL names (loaded on demand, with the chart library).
import type { ReportName } from '../../api/reports-api.ts';
import { AgingReportPage } from './aging-report-page.tsx';
import { AutopayReportPage } from './autopay-report-page.tsx';
import { CollectionsReportPage } from './collections-report-page.tsx';
import { DepositsReportPage } from './deposits-report-page.tsx';

export default function ReportsPage({ report, search }: { report: ReportName; search: string }) {
  if (report === 'collections') return <CollectionsReportPage search={search} />;
  if (report === 'deposits') return <DepositsReportPage search={search} />;
  if (report === 'autopay') return <AutopayReportPage search={search} />;
  return <AgingReportPage search={search} />;
}
