// GET /api/v1/reports/*: AR aging, collections, the daily deposit report and autopay outcomes, each
// as JSON (the console's charts and tables) and as CSV. Thin: the date range and the bucketing are
// the rules', the reading the reports' own modules.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { agencyToday } from '../../agency/agencies.ts';
import type { CalendarDate } from '../../kernel/calendar.ts';
import { requireActor } from '../../platform/http/auth.ts';
import { csvResponse, sendCsv } from '../../platform/http/csv.ts';
import { calendarDate, errorResponses, pageLimit } from '../../platform/http/schemas.ts';
import type { App, RouteDeps } from '../../platform/http/types.ts';
import { agingDate, arAging, customerRows } from '../aging.ts';
import { autopayReport } from '../autopay-outcomes.ts';
import { collections, deposits } from '../collections.ts';
import { addAging } from '../rules/aging.ts';
import {
  agingCsvHeader,
  agingCsvRow,
  autopayCsv,
  collectionsCsv,
  depositCsvHeader,
  depositCsvRows,
} from '../rules/report-csv.ts';
import { reportRange } from '../rules/report-range.ts';
import {
  agingSchema,
  autopaySchema,
  collectionsSchema,
  depositsSchema,
  presentAging,
  presentAutopay,
  presentCollections,
  presentDeposits,
} from './report-schemas.ts';

const access = { access: ['staff', 'agent'] as const };
const tags = ['reports'];
const range = {
  from: calendarDate.optional().meta({ description: 'First day (YYYY-MM-DD, the agency calendar)' }),
  to: calendarDate.optional().meta({ description: "Last day, inclusive; the agency's today by default" }),
};
const agingQuery = {
  asOf: calendarDate.optional().meta({ description: "Age on this date; the agency's today by default" }),
};
const depositQuery = { ...range, bankShortName: z.string().trim().min(1).max(20).optional() };

/** How many days each report covers when `from` is left out, and at most. */
const days = { collections: [30, 366], deposits: [1, 31], autopay: [30, 366] } as const;

async function* once<T>(rows: readonly T[]) {
  yield* rows;
}

export function reportRoutes(app: App, deps: RouteDeps): void {
  const rangeOf = async (
    request: FastifyRequest & { query: { from?: CalendarDate | undefined; to?: CalendarDate | undefined } },
    [defaultDays, maxDays]: readonly [number, number],
  ) => {
    const today = await agencyToday(deps.db, requireActor(request).agencyId, deps.clock());
    return reportRange(request.query, today, defaultDays, maxDays);
  };

  app.get(
    '/api/v1/reports/ar-aging',
    {
      config: access,
      schema: {
        tags,
        summary:
          'AR aging: open invoice balances by days past due (current, 1–30, 31–60, 61–90, 90+), in total and by customer',
        description:
          'Customers owing most first, at most `limit` of them; `customerCount` counts them all. The CSV has every one.',
        querystring: z.strictObject({ ...agingQuery, limit: pageLimit(500, 50) }),
        response: { 200: agingSchema, ...errorResponses },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const asOf = await agingDate(deps.db, actor, request.query.asOf, deps.clock());
      return presentAging(await arAging(deps.db, actor, asOf, request.query.limit));
    },
  );

  app.get(
    '/api/v1/reports/ar-aging/export.csv',
    {
      config: access,
      schema: {
        tags,
        summary: 'AR aging as CSV: every customer with an open balance by customer number, then the total',
        querystring: z.strictObject(agingQuery),
        response: { 200: csvResponse('AR aging as CSV, a header row first, a TOTAL row last'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const asOf = await agingDate(deps.db, actor, request.query.asOf, deps.clock());
      const customers = await customerRows(deps.db, actor.agencyId, asOf);
      const total = { customerNumber: null, customerName: '', amounts: addAging(customers.map((c) => c.amounts)) };
      return sendCsv(reply, `ar-aging-${asOf}.csv`, agingCsvHeader, once([...customers, total].map(agingCsvRow)));
    },
  );

  app.get(
    '/api/v1/reports/collections',
    {
      config: access,
      schema: {
        tags,
        summary: "Money collected per day (receipts not reversed, of the caller's banks) by channel and method",
        querystring: z.strictObject(range),
        response: { 200: collectionsSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentCollections(await collections(deps.db, requireActor(request), await rangeOf(request, days.collections))),
  );

  app.get(
    '/api/v1/reports/collections/export.csv',
    {
      config: access,
      schema: {
        tags,
        summary: 'Collections per day as CSV, a TOTAL row last',
        querystring: z.strictObject(range),
        response: { 200: csvResponse('Collections as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const report = await collections(deps.db, requireActor(request), await rangeOf(request, days.collections));
      const csv = collectionsCsv(report);
      return sendCsv(reply, `collections-${report.from}-${report.to}.csv`, csv.header, once(csv.rows));
    },
  );

  app.get(
    '/api/v1/reports/deposits',
    {
      config: access,
      schema: {
        tags,
        summary: "The daily deposit report: per bank (the caller's), per day, each receipt and the total",
        description: 'A receipt reversed later stays on the day it was deposited, marked reversed. At most 31 days.',
        querystring: z.strictObject(depositQuery),
        response: { 200: depositsSchema, ...errorResponses },
      },
    },
    async (request) =>
      presentDeposits(
        await deposits(deps.db, requireActor(request), {
          ...(await rangeOf(request, days.deposits)),
          bankShortName: request.query.bankShortName,
        }),
      ),
  );

  app.get(
    '/api/v1/reports/deposits/export.csv',
    {
      config: access,
      schema: {
        tags,
        summary: 'The daily deposit report as CSV: each receipt, each day total, each bank total',
        querystring: z.strictObject(depositQuery),
        response: { 200: csvResponse('The deposit report as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const report = await deposits(deps.db, requireActor(request), {
        ...(await rangeOf(request, days.deposits)),
        bankShortName: request.query.bankShortName,
      });
      return sendCsv(
        reply,
        `deposits-${report.from}-${report.to}.csv`,
        depositCsvHeader,
        once(depositCsvRows(report.banks)),
      );
    },
  );

  app.get(
    '/api/v1/reports/autopay',
    {
      config: access,
      schema: {
        tags,
        summary: 'Autopay attempts per day (agency time zone): success rate and decline reasons',
        querystring: z.strictObject(range),
        response: { 200: autopaySchema, ...errorResponses },
      },
    },
    async (request) =>
      presentAutopay(await autopayReport(deps.db, requireActor(request), await rangeOf(request, days.autopay))),
  );

  app.get(
    '/api/v1/reports/autopay/export.csv',
    {
      config: access,
      schema: {
        tags,
        summary: 'Autopay attempts per day as CSV, a column per decline code',
        querystring: z.strictObject(range),
        response: { 200: csvResponse('Autopay outcomes as CSV, a header row first'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const report = await autopayReport(deps.db, requireActor(request), await rangeOf(request, days.autopay));
      const csv = autopayCsv(report.days, report.reasons);
      return sendCsv(reply, `autopay-${report.from}-${report.to}.csv`, csv.header, once(csv.rows));
    },
  );
}
