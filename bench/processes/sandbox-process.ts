// The sandbox processor as an HTTP server of its own process, for the autopay-day scenario: the
// workers charge it over the network as they would a real processor, and its CPU is not the
// bench's. Sends its URL over IPC; answers "count" with how many charges it took; ends on "stop".
import { startSandbox } from '../../src/payments/processors/sandbox/server.ts';

const sandbox = await startSandbox({ webhookSecret: process.env.BENCH_SANDBOX_SECRET!, port: 0 });
process.send?.({ url: sandbox.url });
process.on('message', async (message) => {
  if (message === 'count') process.send?.({ charges: sandbox.charges().length });
  if (message === 'stop') {
    await sandbox.close();
    process.exit(0);
  }
});
