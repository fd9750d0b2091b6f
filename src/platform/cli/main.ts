import { Command, InvalidArgumentError, Option } from 'commander';
import { findAgencyBySlug } from '../../agency/agencies.ts';
import { createApiKey } from '../../agency/api-keys.ts';
import { setUpAgency } from '../../agency/onboarding.ts';
import { generateKeyText, SecretKeyError } from '../../agency/secrets/secret-box.ts';
import { createUser } from '../../agency/users.ts';
import { loadDemoAgency } from '../../demo/demo-agency.ts';
import { importKinds } from '../../imports/rules/import-kinds.ts';
import { systemActor } from '../../kernel/actor.ts';
import { DomainError } from '../../kernel/errors.ts';
import { ConfigError, loadConfig } from '../config.ts';
import type { DatabaseHandle } from '../db/database.ts';
import { EmbeddedDatabaseInUse } from '../db/embedded-lock.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { commandLogger, type Logger } from '../log/logger.ts';
import { complain, say } from '../log/output.ts';
import { isoInstant, runAutopayCommand } from './autopay.ts';
import { openConfiguredDatabase } from './database.ts';
import { runDoctor } from './doctor.ts';
import { runImportCommand } from './import.ts';
import { runSandbox } from './sandbox.ts';
import { rotateSecrets } from './secrets.ts';
import { serve } from './serve.ts';
import { configureConnectorCommand, runSyncCommand, runSyncDemo } from './sync.ts';
import { runWorker } from './worker.ts';

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

let logger: Logger | undefined;

/** This command's logger (LOG_LEVEL's, or warnings on stderr when it is unset or invalid). */
function commandLog(): Logger {
  if (!logger) {
    let level: ReturnType<typeof loadConfig>['LOG_LEVEL'];
    try {
      level = loadConfig().LOG_LEVEL;
    } catch {
      level = undefined; // the command itself reports the configuration error
    }
    logger = commandLogger(level);
  }
  return logger;
}

/** Runs `work` with the configured database open, and closes it after. */
async function withDatabase<T>(work: (database: DatabaseHandle) => Promise<T>): Promise<T> {
  const database = await openConfiguredDatabase({ logger: commandLog() });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

async function agencyId(database: DatabaseHandle, slug: string): Promise<string> {
  const agency = await findAgencyBySlug(database.db, slug);
  if (!agency) throw new DomainError('not_found', `no agency with slug "${slug}" (the demo agency is "demo")`);
  return agency.id;
}

const program = new Command('policypay')
  .description('Billing and payments hub for insurance agencies')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the API, web UI and workers in one process')
  .addOption(new Option('-p, --port <port>', 'port to listen on (default 3000, or PORT)').argParser(portNumber))
  .option('--host <host>', 'address to bind (default 127.0.0.1, or HOST)')
  .option('--no-workers', 'do not run background workers in this process')
  .option('--no-demo', 'do not load the demo agency into an empty database')
  .action(async (options: { port?: number; host?: string; workers: boolean; demo: boolean }) => serve(options));

program
  .command('worker')
  .description('run the background workers (payments, janitor, maintenance) without the HTTP server')
  .action(async () => runWorker());

program
  .command('sandbox')
  .description('run the sandbox card/ACH processor alone (POLICYPAY_SANDBOX_WEBHOOK_URL, _SECRET)')
  .addOption(new Option('-p, --port <port>', 'port to listen on').argParser(portNumber).default(4242))
  .option('--state-file <file>', 'keep tokens and charges across restarts in this JSON file')
  .action(async (options: { port: number; stateFile?: string }) => {
    await runSandbox({ port: options.port, stateFile: options.stateFile, logger: commandLog() });
  });

function processCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new InvalidArgumentError('must be a whole number from 0 to 1000');
  return n;
}

program
  .command('doctor')
  .description("check this deployment's configuration, database, secrets and mail server, and say what is wrong")
  .addOption(new Option('--api-processes <n>', 'API processes you run (serve)').argParser(processCount).default(1))
  .addOption(
    new Option('--worker-processes <n>', 'worker processes you run (worker)').argParser(processCount).default(0),
  )
  .option('--no-api-workers', 'the API processes run with --no-workers')
  .addOption(
    new Option('--timeout <seconds>', 'how long to wait for the database and the mail server')
      .argParser((value) => processCount(value) * 1000)
      .default(5000, '5'),
  )
  .option('--json', 'findings as JSON')
  .action(
    async (options: {
      apiProcesses: number;
      workerProcesses: number;
      apiWorkers: boolean;
      timeout: number;
      json: boolean;
    }) => {
      const findings = await runDoctor({
        apiProcesses: options.apiProcesses,
        workerProcesses: options.workerProcesses,
        apiRunsWorkers: options.apiWorkers,
        timeoutMs: options.timeout,
        json: options.json,
      });
      if (findings.some((finding) => finding.level === 'problem')) process.exitCode = 1;
    },
  );

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () =>
    withDatabase(async (database) => {
      // openConfiguredDatabase already migrated; report what is there.
      const report = await migrateToLatest(database.db);
      say(report.applied.length ? `applied ${report.applied.join(', ')}` : 'the schema is up to date');
    }),
  );

program
  .command('demo')
  .description('load the demo agency (if it is not loaded yet)')
  .addOption(
    new Option('--now <iso>', 'date its policies and invoices around this instant (ISO 8601 with a zone)').argParser(
      isoInstant,
    ),
  )
  .action(async (options: { now?: Date }) =>
    withDatabase(async (database) => {
      const demo = await loadDemoAgency(database.db, { apiKey: loadConfig().POLICYPAY_DEMO_API_KEY, now: options.now });
      if (!demo.created) return say('the demo agency is already loaded');
      say(`loaded "${demo.agency.name}"; staff sign-in ${demo.staff.email} / ${demo.staff.password}`);
      say(`staff API key (shown once): ${demo.apiKey}`);
    }),
  );

const autopay = program.command('autopay').description('autopay passes');
autopay
  .command('run')
  .description('run one autopay pass now, with a progress bar and a summary (fired, skipped by reason, payments)')
  .addOption(new Option('--now <iso>', 'run the pass as of this instant (ISO 8601 with a zone)').argParser(isoInstant))
  .option('--agency <slug>', 'only this agency (default: every agency with due autopay invoices)')
  .action(async (options: { now?: Date; agency?: string }) =>
    withDatabase(async (database) => {
      await runAutopayCommand(database, options);
    }),
  );

program
  .command('import')
  .description(
    'import the book from CSV files (customers, contacts, policies, invoices with open AR): preview, then commit',
  )
  .argument('<files...>', 'CSV files, named for their kind (customers.csv, …) unless --kind says')
  .requiredOption('--agency <slug>', 'agency slug')
  .addOption(new Option('--kind <kind>', 'what every file holds (default: from each file name)').choices(importKinds))
  .option('--dry-run', 'preview only: print what would be created and every problem, write nothing')
  .action(async (files: string[], options: { agency: string; kind?: (typeof importKinds)[number]; dryRun?: boolean }) =>
    withDatabase(async (database) => {
      process.exitCode = await runImportCommand(database, files, options);
    }),
  );

const sync = program.command('sync').description('the sync hub: AMS, benefits and CRM systems');
sync
  .command('run')
  .description('run the daily sync of one system now (changes since the cursor), with progress and a summary')
  .addOption(new Option('--system <system>', 'system role').choices(['ams', 'benefits', 'crm']).makeOptionMandatory())
  .option('--agency <slug>', 'only this agency (default: every agency with that connector)')
  .addOption(new Option('--page-size <n>', 'records per page').argParser((v) => Number.parseInt(v, 10)))
  .action(async (options: { system: 'ams' | 'benefits' | 'crm'; agency?: string; pageSize?: number }) =>
    withDatabase(async (database) => {
      const runs = await runSyncCommand(database, options);
      if (runs.some((run) => run.status === 'failed')) process.exitCode = 2;
    }),
  );
sync
  .command('connector')
  .description("configure an agency's generic REST connector for one system from a JSON mapping file")
  .requiredOption('--agency <slug>', 'agency slug')
  .addOption(new Option('--system <system>', 'system role').choices(['ams', 'benefits', 'crm']).makeOptionMandatory())
  .requiredOption('--mapping <file>', 'the JSON mapping (base URL, auth header, paths, field mapping)')
  .option('--disabled', 'store it disabled')
  .action(
    async (options: { agency: string; system: 'ams' | 'benefits' | 'crm'; mapping: string; disabled?: boolean }) =>
      withDatabase(async (database) => configureConnectorCommand(database, options)),
  );
sync
  .command('demo')
  .description('walk the AMS/benefits scenarios against built-in test doubles (creates a sync-demo agency)')
  .action(async () => withDatabase(async (database) => runSyncDemo(database)));

const secrets = program.command('secrets').description('the key that encrypts stored connector credentials');
secrets
  .command('generate-key')
  .description('print a new random key for POLICYPAY_SECRET_KEY or POLICYPAY_SECRET_KEYS')
  .action(() => say(generateKeyText()));
secrets
  .command('rotate')
  .description('re-encrypt every stored secret under the first key of POLICYPAY_SECRET_KEYS')
  .action(async () =>
    withDatabase(async (database) => {
      const sweep = await rotateSecrets(database);
      say(
        `re-encrypted ${sweep.rotated} secret(s) under the primary key; ${sweep.unchanged} already were; ${sweep.encrypted} were in clear`,
      );
    }),
  );

const apiKey = program.command('api-key').description('manage API keys');
apiKey
  .command('create')
  .description('create an API key and print it once')
  .requiredOption('--agency <slug>', 'agency slug')
  .addOption(new Option('--role <role>', 'role of the key').choices(['staff', 'agent']).makeOptionMandatory())
  .option('--banks <banks>', 'ALL, or comma-separated bank short names the key may deposit to', 'ALL')
  .option('--name <name>', 'a name to recognise the key by', 'CLI key')
  .action(async (options: { agency: string; role: 'staff' | 'agent'; banks: string; name: string }) =>
    withDatabase(async (database) => {
      const id = await agencyId(database, options.agency);
      const banks = options.banks.toUpperCase() === 'ALL' ? undefined : options.banks.split(',').map((b) => b.trim());
      const key = await createApiKey(database.db, systemActor(id, 'cli'), {
        name: options.name,
        role: options.role,
        banks,
      });
      say(key.key);
    }),
  );

const agency = program.command('agency').description('manage agencies');
agency
  .command('create')
  .description('set an agency up: the agency, its backup e-mail and its first staff user, in one transaction')
  .requiredOption('--name <name>', "the agency's name")
  .requiredOption('--slug <slug>', 'short name: lowercase letters, digits and dashes')
  .requiredOption('--time-zone <zone>', 'IANA time zone (America/Chicago) or Windows zone ID')
  .option('--address-line1 <line>', 'street address')
  .option('--city <city>', 'city')
  .option('--state <state>', 'state')
  .option('--postal-code <code>', 'postal code')
  .requiredOption('--backup-email <email>', 'the office mailbox told of online payments and reversals')
  .requiredOption('--staff-email <email>', "the first staff user's sign-in e-mail")
  .requiredOption('--staff-name <name>', "the first staff user's full name")
  .addOption(
    new Option('--staff-password <password>', 'their password (or POLICYPAY_PASSWORD); generated when absent').env(
      'POLICYPAY_PASSWORD',
    ),
  )
  .action(
    async (options: {
      name: string;
      slug: string;
      timeZone: string;
      addressLine1?: string;
      city?: string;
      state?: string;
      postalCode?: string;
      backupEmail: string;
      staffEmail: string;
      staffName: string;
      staffPassword?: string;
    }) =>
      withDatabase(async (database) => {
        // An empty POLICYPAY_PASSWORD is no password: one is generated.
        const setUp = await setUpAgency(
          database.db,
          { ...options, staffPassword: options.staffPassword || undefined },
          'cli',
        );
        say(`created agency "${setUp.agency.name}" (${setUp.agency.slug}, ${setUp.agency.id})`);
        say(
          setUp.generatedPassword
            ? `staff sign-in: ${setUp.staff.email} / ${setUp.generatedPassword} (shown once)`
            : `staff sign-in: ${setUp.staff.email} with the password given`,
        );
      }),
  );

const user = program.command('user').description('manage users');
user
  .command('create')
  .description('create a user who can sign in to the web UI')
  .requiredOption('--agency <slug>', 'agency slug')
  .requiredOption('--email <email>', 'sign-in e-mail')
  .requiredOption('--name <name>', 'full name')
  .addOption(new Option('--role <role>', 'role').choices(['staff', 'agent', 'client']).default('staff'))
  .addOption(new Option('--password <password>', 'password (or POLICYPAY_PASSWORD)').env('POLICYPAY_PASSWORD'))
  .action(
    async (options: {
      agency: string;
      email: string;
      name: string;
      role: 'staff' | 'agent' | 'client';
      password?: string;
    }) =>
      withDatabase(async (database) => {
        if (!options.password || options.password.length < 8) {
          throw new DomainError(
            'validation_failed',
            'a password of at least 8 characters is required (--password or POLICYPAY_PASSWORD)',
          );
        }
        const id = await agencyId(database, options.agency);
        const created = await createUser(database.db, systemActor(id, 'cli'), options);
        say(`created ${created.role} ${created.email} (${created.id})`);
      }),
  );

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (
    error instanceof EmbeddedDatabaseInUse ||
    error instanceof DomainError ||
    error instanceof ConfigError ||
    error instanceof SecretKeyError
  ) {
    complain(`policypay: ${error.message}`);
  } else {
    commandLog().fatal({ err: error }, 'policypay failed');
  }
  process.exit(1);
}
