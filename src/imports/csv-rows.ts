import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { CsvRecord } from './rules/cells.ts';
import type { RowProblem } from './rules/import-kinds.ts';

/** Where a file's bytes come from: opened again for each pass (preview, then commit). */
export type CsvSource = () => AsyncIterable<Buffer | string>;

/** The SHA-256 of a file's bytes, read once as a stream (a file's fingerprint). */
export async function fingerprint(source: CsvSource): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of source()) hash.update(piece);
  return hash.digest('hex');
}

export function textSource(text: string): CsvSource {
  return async function* () {
    yield text;
  };
}

interface CsvChunk {
  header: string[];
  rows: { row: number; record: CsvRecord }[];
  /** Rows whose cells do not line up with the header: named, and the read goes on. */
  ragged: RowProblem[];
}

export interface CsvPass {
  /** Chunks of at most `size` rows: only one chunk of records is held at a time. */
  chunks: AsyncGenerator<CsvChunk>;
  /** After `chunks` is done: the file's SHA-256 and a problem when the file is not valid CSV. */
  result(): { sha256: string; malformed: RowProblem | undefined };
}

/**
 * Streams a CSV file through csv-parse (header row first; a spreadsheet's BOM and blank lines are
 * ignored), hashing the bytes as they pass. Row numbers count as a spreadsheet does: the header is
 * row 1. A row with more or fewer cells than the header is a problem of that row, and the rest of
 * the file is still read (so one preview names every such row). Malformed CSV (an unclosed quote)
 * ends the pass with one problem naming the row (the hash then covers the bytes read so far).
 */
export function readCsv(source: CsvSource, size: number): CsvPass {
  const hash = createHash('sha256');
  let malformed: RowProblem | undefined;
  let header: string[] = [];
  async function* hashed() {
    for await (const piece of source()) {
      hash.update(piece);
      yield typeof piece === 'string' ? Buffer.from(piece) : piece;
    }
  }
  async function* chunks(): AsyncGenerator<CsvChunk> {
    const parser = Readable.from(hashed()).pipe(
      // Records as arrays, the header taken by hand: csv-parse's own header mapping stops the whole
      // file at the first row whose cell count differs.
      parse({ bom: true, skip_empty_lines: true, relax_column_count: true }),
    );
    let rows: CsvChunk['rows'] = [];
    let ragged: RowProblem[] = [];
    let row = 0;
    try {
      for await (const cells of parser as AsyncIterable<string[]>) {
        row += 1;
        if (row === 1) {
          header = cells.map((name) => name.trim());
          continue;
        }
        if (cells.length !== header.length) {
          ragged.push({
            row,
            column: '*',
            rule: `has ${cells.length} cell(s) where the header has ${header.length}`,
          });
        } else {
          rows.push({ row, record: Object.fromEntries(header.map((name, i) => [name, cells[i]!])) });
        }
        if (rows.length + ragged.length >= size) {
          yield { header, rows, ragged };
          rows = [];
          ragged = [];
        }
      }
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      malformed = { row: row + 1, column: '*', rule: `not valid CSV: ${error.message}` };
    }
    if (rows.length > 0 || ragged.length > 0 || header.length > 0) yield { header, rows, ragged };
  }
  return { chunks: chunks(), result: () => ({ sha256: hash.digest('hex'), malformed }) };
}
