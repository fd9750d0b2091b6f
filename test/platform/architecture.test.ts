import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkArchitecture, MAX_FILES_PER_FOLDER } from '../../scripts/check-architecture.ts';

// `npm run lint` checks the real tree (scripts/check-architecture.ts); these show that each rule
// fails on a forbidden import, in a scratch tree under the project's own rules.
const repo = join(import.meta.dirname, '..', '..');

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'policypay-architecture-'));
  await cp(join(repo, '.dependency-cruiser.cjs'), join(root, '.dependency-cruiser.cjs'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('the house rules', () => {
  const roots: string[] = [];
  let clean: string;
  before(async () => {
    clean = await tree({
      'src/kernel/money.ts': 'export const zero = 0n;\n',
      'src/ledger/rules/entries.ts': "import { zero } from '../../kernel/money.ts';\nexport const empty = zero;\n",
      'src/ledger/receipts.ts': "import { empty } from './rules/entries.ts';\nexport const post = () => empty;\n",
      'src/ledger/routes/receipts.ts': "import { post } from '../receipts.ts';\nexport const route = post;\n",
      'src/platform/app/app.ts':
        "import { route } from '../../ledger/routes/receipts.ts';\nexport const app = route;\n",
    });
    roots.push(clean);
  });
  after(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  async function problemsWith(files: Record<string, string>): Promise<string[]> {
    const root = await tree(files);
    roots.push(root);
    return (await checkArchitecture(root)).map((p) => `${p.rule}: ${p.detail}`);
  }

  it('accepts a tree that keeps them', async () => {
    assert.deepEqual(await checkArchitecture(clean), []);
  });

  it('refuses I/O in pure rules', async () => {
    const problems = await problemsWith({
      'src/ledger/rules/entries.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
    });
    assert.ok(
      problems.some((p) => p.startsWith('pure-rules: src/ledger/rules/entries.ts → fs')),
      problems.join('\n'),
    );
  });

  it('refuses a use case in pure rules', async () => {
    const problems = await problemsWith({
      'src/ledger/rules/entries.ts': "import { post } from '../receipts.ts';\nexport const again = post;\n",
      'src/ledger/receipts.ts': 'export const post = () => 0;\n',
    });
    assert.ok(
      problems.some((p) => p.startsWith('pure-rules: src/ledger/rules/entries.ts → src/ledger/receipts.ts')),
      problems.join('\n'),
    );
  });

  it('refuses the database toolkit knowing a capability', async () => {
    const problems = await problemsWith({
      'src/ledger/receipts.ts': 'export const post = () => 0;\n',
      'src/platform/db/transaction.ts': "import { post } from '../../ledger/receipts.ts';\nexport const run = post;\n",
    });
    assert.ok(
      problems.some((p) => p.startsWith('platform-below-capabilities: src/platform/db/transaction.ts')),
      problems.join('\n'),
    );
  });

  it('refuses a use case importing routes, and the browser importing the server', async () => {
    const problems = await problemsWith({
      'src/ledger/routes/receipts.ts': 'export const route = 1;\n',
      'src/payments/refunds.ts': "import { route } from '../ledger/routes/receipts.ts';\nexport const r = route;\n",
      'src/web/console/page.tsx': "import { route } from '../../ledger/routes/receipts.ts';\nexport const p = route;\n",
    });
    assert.ok(
      problems.some((p) => p.startsWith('routes-are-entry-points: src/payments/refunds.ts')),
      problems.join('\n'),
    );
    assert.ok(
      problems.some((p) => p.startsWith('web-over-http-only: src/web/console/page.tsx')),
      problems.join('\n'),
    );
  });

  it('refuses two folders that use each other, even through different files', async () => {
    const problems = await problemsWith({
      'src/customers/customers.ts': "import { queue } from '../sync/outbox.ts';\nexport const create = queue;\n",
      'src/sync/outbox.ts': 'export const queue = 1;\n',
      'src/sync/apply.ts': "import { create } from '../customers/customers.ts';\nexport const apply = create;\n",
    });
    assert.ok(problems.includes('no-folder-cycles: src/customers ⇄ src/sync'), problems.join('\n'));
  });

  it('refuses a crowded folder and a long file', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_FILES_PER_FOLDER; i++) files[`src/ledger/f${i}.ts`] = `export const f${i} = ${i};\n`;
    files['src/kernel/long.ts'] = 'export const x = 1;\n'.repeat(401);
    const problems = await problemsWith(files);
    assert.ok(
      problems.includes(
        `folder-size: src/ledger holds ${MAX_FILES_PER_FOLDER + 1} files (at most ${MAX_FILES_PER_FOLDER})`,
      ),
      problems.join('\n'),
    );
    assert.ok(problems.includes('file-size: src/kernel/long.ts has 401 lines (at most 400)'), problems.join('\n'));
  });
});
