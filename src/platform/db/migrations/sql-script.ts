import { type Kysely, sql } from 'kysely';

/**
 * Splits a SQL script into statements, respecting quotes, dollar-quoted bodies and comments.
 * PGlite's extended-protocol `query` runs one statement at a time, so migrations written as
 * one readable script run statement by statement on both drivers.
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let i = 0;
  while (i < script.length) {
    const ch = script[i]!;
    const rest = script.slice(i);
    if (rest.startsWith('--')) {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end + 1;
      continue;
    }
    if (ch === "'") {
      const end = closingQuote(script, i);
      current += script.slice(i, end);
      i = end;
      continue;
    }
    const dollar = /^\$[A-Za-z_]*\$/.exec(rest);
    if (dollar) {
      const tag = dollar[0];
      const end = script.indexOf(tag, i + tag.length);
      if (end === -1) throw new Error(`unterminated dollar quote ${tag}`);
      current += script.slice(i, end + tag.length);
      i = end + tag.length;
      continue;
    }
    if (ch === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}

function closingQuote(script: string, start: number): number {
  let i = start + 1;
  while (i < script.length) {
    if (script[i] === "'") {
      if (script[i + 1] === "'") {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  throw new Error('unterminated string literal');
}

export async function runScript(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of splitStatements(script)) {
    await sql.raw(statement).execute(db);
  }
}
