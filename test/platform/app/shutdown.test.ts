// The shutdown sequence itself, without a process: steps in order within the deadline, a failing
// step not stopping the rest, a step that never ends cut off at the deadline, one run per process
// whatever the number of signals. (SIGHUP is only emitted here, never sent: the test runner
// answers a SIGUSR2 with a diagnostic report.) (The serve process draining a request: test/platform/cli/shutdown.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitGracefullyOnSignals, type ShutdownStep, shutDown } from '../../../src/platform/app/shutdown.ts';

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (m: string) => lines.push(`info ${m}`), error: (m: string) => lines.push(`error ${m}`) },
  };
}

describe('shutdown', () => {
  it('runs the steps in order, each told the time left before the deadline', async () => {
    const { lines, log } = recorder();
    const seen: [string, number][] = [];
    const step = (name: string): ShutdownStep => ({
      name,
      run: async (remainingMs) => {
        seen.push([name, remainingMs]);
      },
    });
    const outcome = await shutDown([step('HTTP server'), step('workers'), step('database')], {
      timeoutMs: 60_000,
      log,
    });
    assert.equal(outcome, 'done');
    assert.deepEqual(
      seen.map(([name]) => name),
      ['HTTP server', 'workers', 'database'],
    );
    for (const [, remaining] of seen) assert.ok(remaining > 0 && remaining <= 60_000);
    assert.ok(seen[2]![1] <= seen[0]![1], 'the time left only shrinks');
    assert.deepEqual(lines, []);
  });

  it('goes on after a step that fails, and reports the shutdown as failed', async () => {
    const { lines, log } = recorder();
    const ran: string[] = [];
    const outcome = await shutDown(
      [
        { name: 'workers', run: async () => Promise.reject(new Error('pool already closed')) },
        { name: 'database', run: async () => ran.push('database') },
      ],
      { timeoutMs: 60_000, log },
    );
    assert.equal(outcome, 'failed');
    assert.deepEqual(ran, ['database']);
    assert.deepEqual(lines, ['error shutdown: stopping the workers failed: pool already closed']);
  });

  it('gives up at the deadline on a step that never finishes, naming it', async () => {
    const { lines, log } = recorder();
    const ran: string[] = [];
    const outcome = await shutDown(
      [
        { name: 'HTTP server', run: () => new Promise(() => {}) },
        { name: 'database', run: async () => ran.push('database') },
      ],
      { timeoutMs: 100, log },
    );
    assert.equal(outcome, 'timed-out');
    assert.deepEqual(ran, []);
    assert.deepEqual(lines, ['error shutdown did not finish within 0.1 s (still stopping the HTTP server): exiting']);
  });

  it('shuts down once on the first signal and exits 0, or 1 past the deadline; later signals change nothing', async () => {
    const { lines, log } = recorder();
    const codes: number[] = [];
    let release = () => {};
    const draining = new Promise<void>((resolve) => {
      release = resolve;
    });
    let runs = 0;
    const exited = new Promise<void>((resolve) => {
      const remove = exitGracefullyOnSignals(
        [
          {
            name: 'HTTP server',
            run: async () => {
              runs++;
              await draining;
            },
          },
        ],
        {
          timeoutSeconds: 60,
          log,
          signals: ['SIGHUP'],
          exit: (code) => {
            codes.push(code);
            remove();
            resolve();
          },
        },
      );
    });
    process.emit('SIGHUP', 'SIGHUP');
    process.emit('SIGHUP', 'SIGHUP');
    release();
    await exited;
    assert.deepEqual(codes, [0]);
    assert.equal(runs, 1);
    assert.deepEqual(lines, ['info SIGHUP: stopping (at most 60 s)', 'info SIGHUP: already stopping']);

    const late: number[] = [];
    await new Promise<void>((resolve) => {
      const remove = exitGracefullyOnSignals([{ name: 'workers', run: () => new Promise(() => {}) }], {
        timeoutSeconds: 0.1,
        log,
        signals: ['SIGHUP'],
        exit: (code) => {
          late.push(code);
          remove();
          resolve();
        },
      });
      process.emit('SIGHUP', 'SIGHUP');
    });
    assert.deepEqual(late, [1]);
  });
});
