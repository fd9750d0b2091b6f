// The house's shape, checked by `npm run lint` (docs/architecture.md, "The folders"):
// - dependency-cruiser's rules in .dependency-cruiser.cjs (pure rules, platform below the
//   capabilities, routes and jobs as entry points, the web over HTTP only, no module cycles);
// - no cycles between folders. dependency-cruiser's own folder scope counts a folder together with
//   every folder below it, so a capability's rules/ reading another capability's rules/ would read
//   as the two capabilities depending on each other. Here a folder is one directory, and its
//   rules/ and routes/ are layers of their own: `ledger` may use `sync/ams360-receipts` while
//   `sync` uses `ledger`, as long as no directory reaches itself again;
// - no folder holds more than 15 files directly, no file is over 400 lines (generated files and
//   the migration history aside).
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';

export const MAX_FILES_PER_FOLDER = 15;
export const MAX_LINES_PER_FILE = 400;
/** The migrations are history: one file per change, never split or regrouped. */
const FOLDERS_WITHOUT_LIMIT = new Set(['src/platform/db/migrations']);
const GENERATED = /\.generated\.ts$/;
const SOURCE = /\.(ts|tsx|css)$/;
const CHECKED_ROOTS = ['src', 'test', 'bench', 'scripts'];

export interface ArchitectureProblem {
  rule: string;
  detail: string;
}

/** dependency-cruiser's verdict on `src` under the project's rules, and the module graph it saw. */
async function cruiseSources(root: string): Promise<{ problems: ArchitectureProblem[]; result: ICruiseResult }> {
  const config = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as IConfiguration;
  const previous = process.cwd();
  process.chdir(root); // dependency-cruiser reports and matches paths relative to the working directory
  try {
    const { output } = await cruise(['src'], {
      ...config.options,
      ruleSet: { forbidden: config.forbidden ?? [] },
      validate: true,
    });
    const result = output as ICruiseResult;
    const problems = result.summary.violations.map((v) => ({
      rule: v.rule.name,
      detail: v.cycle?.length ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to}`,
    }));
    return { problems, result };
  } finally {
    process.chdir(previous);
  }
}

/** The cycles among directories (each directory on its own), as lists of directories. */
export function directoryCycles(result: ICruiseResult): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const module of result.modules) {
    if (!module.source.startsWith('src/')) continue;
    const from = dirname(module.source);
    for (const dependency of module.dependencies) {
      if (!dependency.resolved.startsWith('src/')) continue;
      const to = dirname(dependency.resolved);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  // Tarjan's strongly connected components: every component of more than one directory is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of edges.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** Folders holding too many files directly, and files with too many lines. */
export async function sizeProblems(root: string): Promise<ArchitectureProblem[]> {
  const problems: ArchitectureProblem[] = [];
  for (const top of CHECKED_ROOTS) {
    let entries: Dirent[];
    try {
      entries = await readdir(join(root, top), { recursive: true, withFileTypes: true });
    } catch {
      continue;
    }
    const perFolder = new Map<string, number>();
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const folder = relative(root, entry.parentPath);
      perFolder.set(folder, (perFolder.get(folder) ?? 0) + 1);
      if (!SOURCE.test(entry.name) || GENERATED.test(entry.name) || FOLDERS_WITHOUT_LIMIT.has(folder)) continue;
      const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
      const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
      if (lines > MAX_LINES_PER_FILE) {
        problems.push({
          rule: 'file-size',
          detail: `${join(folder, entry.name)} has ${lines} lines (at most ${MAX_LINES_PER_FILE})`,
        });
      }
    }
    for (const [folder, count] of perFolder) {
      if (count > MAX_FILES_PER_FOLDER && !FOLDERS_WITHOUT_LIMIT.has(folder)) {
        problems.push({
          rule: 'folder-size',
          detail: `${folder} holds ${count} files (at most ${MAX_FILES_PER_FOLDER})`,
        });
      }
    }
  }
  return problems;
}

/** Every problem with the house's shape under `root` (a checkout holding .dependency-cruiser.cjs). */
export async function checkArchitecture(root: string): Promise<ArchitectureProblem[]> {
  const { problems, result } = await cruiseSources(root);
  for (const cycle of directoryCycles(result)) problems.push({ rule: 'no-folder-cycles', detail: cycle.join(' ⇄ ') });
  problems.push(...(await sizeProblems(root)));
  return problems;
}

if (import.meta.main) {
  const problems = await checkArchitecture(join(import.meta.dirname, '..'));
  for (const p of problems) process.stderr.write(`${p.rule}: ${p.detail}\n`);
  if (problems.length > 0) process.exit(1);
  process.stdout.write('architecture: imports, folder cycles and sizes as docs/architecture.md says\n');
}
