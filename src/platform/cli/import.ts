import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { findAgencyBySlug } from '../../agency/agencies.ts';
import { commitImport } from '../../imports/commit.ts';
import type { CsvSource } from '../../imports/csv-rows.ts';
import { previewImport } from '../../imports/preview.ts';
import { type ImportKind, importKinds } from '../../imports/rules/import-kinds.ts';
import { systemActor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { complain, say } from '../log/output.ts';
import { progressBar } from '../log/progress-bar.ts';

export interface ImportCommandOptions {
  agency: string;
  dryRun?: boolean | undefined;
  kind?: ImportKind | undefined;
  batchSize?: number | undefined;
}

/** A file's kind: `--kind`, else the kind its name starts with (customers.csv, invoices-2026.csv). */
function kindOf(file: string, kind: ImportKind | undefined): ImportKind {
  if (kind) return kind;
  const name = basename(file).toLowerCase();
  const found = importKinds.find((k) => name.startsWith(k));
  if (!found) {
    throw new DomainError(
      'validation_failed',
      `cannot tell what ${file} holds: name it ${importKinds.map((k) => `${k}….csv`).join(', ')} or pass --kind`,
    );
  }
  return found;
}

/**
 * `policypay import FILE…`: previews each file, prints its problems as `row N, column X: rule`,
 * and (unless --dry-run) commits it with a progress bar, in the order customers, contacts,
 * policies, invoices so that each file finds the rows it refers to. A file with problems stops the
 * run before anything of it is written; running the command again after an interruption carries on.
 * Returns the exit code.
 */
export async function runImportCommand(
  database: DatabaseHandle,
  files: readonly string[],
  options: ImportCommandOptions,
): Promise<number> {
  const agency = await findAgencyBySlug(database.db, options.agency);
  if (!agency) throw new DomainError('not_found', `no agency with slug "${options.agency}"`);
  const actor = systemActor(agency.id, 'cli:import');
  const ordered = files
    .map((file) => ({ file, kind: kindOf(file, options.kind) }))
    .sort((a, b) => importKinds.indexOf(a.kind) - importKinds.indexOf(b.kind));
  for (const { file, kind } of ordered) {
    const source: CsvSource = () => createReadStream(file);
    const preview = await previewImport(database.db, actor, { kind, fileName: basename(file), source });
    const { counts } = preview;
    say(
      `${file} (${kind}): ${counts.rows} row(s): ${counts.create} to create, ${counts.unchanged} unchanged, ` +
        `${counts.skipped} skipped (paid in full)${preview.status === 'committed' ? '; imported before' : ''}`,
    );
    if (preview.problemCount > 0) {
      for (const p of preview.problems) say(`row ${p.row}, column ${p.column}: ${p.rule}`);
      if (preview.problemCount > preview.problems.length) {
        say(`… and ${preview.problemCount - preview.problems.length} more problem(s)`);
      }
      complain(`${file}: ${preview.problemCount} problem(s); nothing was imported from it`);
      return 1;
    }
    if (options.dryRun) continue;
    const bar = progressBar(basename(file));
    const done = await commitImport(database.db, actor, preview.id, {
      source,
      batchSize: options.batchSize,
      afterBatch: ({ rowsDone, rowsTotal }) => bar.update(rowsDone, rowsTotal),
    });
    bar.end();
    say(`${file}: imported (${done.rowsDone}/${done.rowsTotal} rows, import ${done.id})`);
  }
  if (options.dryRun) say('dry run: nothing was written');
  return 0;
}
