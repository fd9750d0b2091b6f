// The house rules for imports between folders (docs/architecture.md, "The folders"). Checked by
// `npm run lint` (so by `npm test`); test/platform/architecture.test.ts shows each rule failing on
// a forbidden import.
const capabilities = '(agency|customers|ledger|eligibility|payments|portal|email|autopay|sync|demo|reports)';
// Pure rules and the shared kernel: computation only. node:crypto is hashing (a pure function of
// its input), zod parses, windows-iana maps time-zone names; nothing else from outside.
const pureAllowed = ['^src/kernel/', '^src/[^/]+/rules/', '^crypto$', '^node_modules/(zod|windows-iana)/'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'pure-rules',
      comment: 'rules/ and kernel/ are pure: no I/O, no database, no framework, no use case.',
      severity: 'error',
      from: { path: '^src/(kernel/|[^/]+/rules/)' },
      to: { pathNot: pureAllowed },
    },
    {
      name: 'platform-below-capabilities',
      comment:
        'The database, HTTP, job and log toolkits serve every capability and know none: only pure rules ' +
        "(whose unions the schema types name) and the processor port's type, which RouteDeps carries.",
      severity: 'error',
      from: { path: '^src/platform/(db|http|jobs|log)/|^src/platform/[^/]+\\.ts$' },
      to: {
        path: `^src/(${capabilities.slice(1, -1)}|web)/`,
        pathNot: ['^src/[^/]+/rules/', '^src/payments/processors/processor\\.ts$'],
      },
    },
    {
      name: 'routes-are-entry-points',
      comment: 'Only the app (and other routes, for shared schemas) mount routes; use cases never import them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(platform/app/|platform/cli/|[^/]+/routes/)' },
      to: { path: '/routes/' },
    },
    {
      name: 'jobs-are-entry-points',
      comment:
        "A capability's jobs.ts is registered by the app's workers; use cases enqueue through the JobQueue port.",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(platform/app/|platform/cli/)' },
      to: { path: '/jobs\\.ts$' },
    },
    {
      name: 'web-over-http-only',
      comment: 'The console and the portal run in the browser and reach the server over HTTP only.',
      severity: 'error',
      from: { path: '^src/web/(console|portal)/' },
      to: { path: '^src/', pathNot: '^src/web/(console|portal)/' },
    },
    {
      name: 'server-without-web',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(web/|platform/cli/)' },
      to: { path: '^src/web/' },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // TypeScript 7's compiler has no JS API yet; swc parses the sources.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/web/public/' },
  },
};
