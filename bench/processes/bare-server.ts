// Baselines of the startup scenario: the least a process can do to answer HTTP on PORT.
//   bare-server.ts node          a Node HTTP server answering 200 (the floor of any Node start)
//   bare-server.ts pglite DIR    the same after opening PGlite on DIR with policypay's settings and
//                                running one query (the floor of an embedded database in-process)
import { createServer } from 'node:http';

const [kind, dir] = process.argv.slice(2);
// Imported only for the PGlite baseline: the Node one loads nothing but node:http.
const database = kind === 'pglite' ? await openPglite(dir!) : undefined;

async function openPglite(url: string) {
  const [{ sql }, { openDatabase }] = await Promise.all([
    import('kysely'),
    import('../../src/platform/db/database.ts'),
  ]);
  const handle = await openDatabase({ url });
  await sql`select 1`.execute(handle.db);
  return handle;
}
const server = createServer((_request, response) => response.writeHead(200).end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', async () => {
  server.close();
  await database?.close();
  process.exit(0);
});
