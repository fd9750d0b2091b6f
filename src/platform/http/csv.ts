import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

const csvBody = z.string().meta({ description: 'RFC 4180 CSV with a header row' });

/** The documented 200 of a CSV export (OpenAPI: `text/csv`, a string body). */
export const csvResponse = (description: string) => ({
  description,
  content: { 'text/csv': { schema: csvBody } },
});

/**
 * Streams an export as CSV: a header row, then each row as the pages come from the database, so a
 * large book never sits in memory (csv-stringify pushes back on the reply through the pipeline).
 * Cells are shaped (and neutralised) by the capability's rules before they get here; csv-stringify
 * quotes a cell holding a comma, a quote or a line break.
 */
export async function sendCsv(
  reply: FastifyReply,
  filename: string,
  header: readonly string[],
  rows: AsyncIterable<readonly string[]>,
): Promise<FastifyReply> {
  // The first page is read before a byte is sent: a refusal there (an unknown customer in the
  // filter) or a failed query is an ordinary problem+json answer, not a cut-off download.
  const iterator = rows[Symbol.asyncIterator]();
  const first = await iterator.next();
  async function* withHeader() {
    yield header;
    for (let next = first; !next.done; next = await iterator.next()) yield next.value;
  }
  const csv = stringify({ record_delimiter: 'windows' });
  // A page failing later destroys the stream: the client sees a cut-off download, never a file
  // that looks complete.
  pipeline(Readable.from(withHeader()), csv).catch((error: unknown) =>
    reply.log.error({ err: error }, 'CSV export failed'),
  );
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(csv);
}

/** Pages of records → CSV rows, one page at a time. */
export async function* csvRows<T>(pages: AsyncIterable<readonly T[]>, row: (record: T) => readonly string[]) {
  for await (const page of pages) for (const record of page) yield row(record);
}
