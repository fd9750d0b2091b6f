import { InvalidArgumentError } from 'commander';
import { findAgencyBySlug } from '../../agency/agencies.ts';
import { AUTOPAY_ACTOR_LABEL, runAutopayPass } from '../../autopay/autopay.ts';
import { agenciesWithDueAutopay } from '../../autopay/candidates.ts';
import { loadAutopayPlugin } from '../../autopay/plugins/plugin.ts';
import type { AutopayRunFigures } from '../../autopay/rules/autopay.ts';
import type { AutopayRunView } from '../../autopay/runs.ts';
import { systemActor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { say } from '../log/output.ts';
import { progressBar } from '../log/progress-bar.ts';

/** `--now`: an ISO 8601 instant with a zone (2026-03-05T06:00:00-06:00 or …Z). */
export function isoInstant(value: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    throw new InvalidArgumentError('must be an ISO 8601 instant with a zone, e.g. 2026-03-05T12:00:00Z');
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('is not a valid instant');
  return date;
}

function summarise(agency: string, run: AutopayRunFigures): string {
  const skipped = Object.entries(run.skipped).sort(([a], [b]) => a.localeCompare(b));
  const skippedTotal = skipped.reduce((total, [, n]) => total + n, 0);
  return [
    `${agency}: ${run.examined} due invoice(s) examined`,
    `  fired ${run.fired}: payments created ${run.paymentsCreated}, receipts posted ${run.receiptsPosted}, no payment ${run.noPayment}, failed ${run.failed}`,
    `  already fired elsewhere ${run.alreadyFired}`,
    `  skipped ${skippedTotal}${skipped.length ? `: ${skipped.map(([reason, n]) => `${reason} ${n}`).join(', ')}` : ''}`,
  ].join('\n');
}

/** `policypay autopay run`: one pass by hand, for one agency or every agency with due invoices. */
export async function runAutopayCommand(
  database: DatabaseHandle,
  options: { now?: Date | undefined; agency?: string | undefined },
): Promise<AutopayRunView[]> {
  const now = options.now ?? new Date();
  const { name, plugin } = await loadAutopayPlugin();
  let agencies: { id: string; slug: string }[];
  if (options.agency) {
    const agency = await findAgencyBySlug(database.db, options.agency);
    if (!agency) throw new DomainError('not_found', `no agency with slug "${options.agency}"`);
    agencies = [agency];
  } else {
    agencies = await agenciesWithDueAutopay(database.db, now);
  }
  say(`autopay pass as of ${now.toISOString()} with the ${name} plugin`);
  if (agencies.length === 0) say('no agency has due autopay invoices');
  const runs: AutopayRunView[] = [];
  for (const agency of agencies) {
    const bar = progressBar(agency.slug);
    const run = await runAutopayPass(database.db, systemActor(agency.id, AUTOPAY_ACTOR_LABEL), {
      now,
      trigger: 'cli',
      plugin,
      concurrency: database.kind === 'postgres' ? 8 : 1,
      onProgress: ({ examined, total }) => bar.update(examined, total),
    });
    bar.end();
    say(summarise(agency.slug, run));
    runs.push(run);
  }
  return runs;
}
