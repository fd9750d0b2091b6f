import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { CsvRecord } from './rules/cells.ts';
import type { RowProblem } from './rules/import-kinds.ts';

/** Where a file's bytes come from: opened again for each pass (preview, then commit). */
export type CsvSource = () => AsyncIterable<Buffer | string>;

export function textSource(text: string): CsvSource {
  return async function* () {
    yield text;
  };
}

interface CsvChunk {
  header: string[];
  rows: { row: number; record: CsvRecord }[];
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
 * row 1. Malformed CSV (an unclosed quote, a row with more or fewer cells than the header) ends
 * the pass with one problem naming the row (the hash then covers the bytes read so far).
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
      parse({
        bom: true,
        skip_empty_lines: true,
        columns: (names: string[]) => {
          header = names.map((name) => name.trim());
          return header;
        },
      }),
    );
    let rows: CsvChunk['rows'] = [];
    let row = 1;
    try {
      for await (const record of parser as AsyncIterable<CsvRecord>) {
        row += 1;
        rows.push({ row, record });
        if (rows.length >= size) {
          yield { header, rows };
          rows = [];
        }
      }
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      malformed = { row: row + 1, column: '*', rule: `not valid CSV: ${error.message}` };
    }
    if (rows.length > 0 || header.length > 0) yield { header, rows };
  }
  return { chunks: chunks(), result: () => ({ sha256: hash.digest('hex'), malformed }) };
}
