import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, humanLine, REDACTED, REDACTED_PATHS } from '../../../src/platform/log/logger.ts';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('the logger', () => {
  it('redacts secrets and tokens wherever a log call puts them', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.info(
      {
        req: { method: 'POST', headers: { authorization: 'Bearer pp_live_SECRET1', cookie: 'pps=SECRET2' } },
        res: { headers: { 'set-cookie': ['pps=SECRET3; HttpOnly'] } },
        password: 'SECRET4',
        body: { password: 'SECRET5', card: { number: '4242424242424242', cvc: '737' } },
        connector: { auth: { token: 'SECRET6', apiKey: 'SECRET7', secret: 'SECRET8' } },
        created: { key: 'pp_live_SECRET9' },
        smtpUrl: 'smtp://user:SECRET10@mail.example.com',
        kept: 'not a secret',
      },
      'something happened',
    );
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    for (const secret of ['SECRET', '4242424242424242', '737'])
      assert.ok(!line.includes(secret), `${secret} in ${line}`);
    const entry = JSON.parse(line);
    assert.equal(entry.req.headers.authorization, REDACTED);
    assert.equal(entry.res.headers['set-cookie'], REDACTED);
    assert.equal(entry.body.card.number, REDACTED);
    assert.equal(entry.connector.auth.token, REDACTED);
    assert.equal(entry.kept, 'not a secret');
    assert.equal(entry.req.method, 'POST');
    assert.ok(REDACTED_PATHS.includes('*.password'));
  });

  it('writes one JSON object per line with a named level, an ISO time and the message', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.debug('below the level');
    logger.info({ route: '/api/v1/health' }, 'request');
    logger.warn('careful');
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith('\n') && line.indexOf('\n') === line.length - 1));
    const [info, warn] = lines.map((line) => JSON.parse(line));
    assert.equal(info.level, 'info');
    assert.equal(info.msg, 'request');
    assert.equal(info.route, '/api/v1/health');
    assert.match(info.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(warn.level, 'warn');
  });

  it('serialises errors under err or error with their type, message and stack', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', destination });
    class ConnectionLost extends Error {
      code = 'ECONNRESET';
    }
    logger.error({ err: new ConnectionLost('the server went away') }, 'database: idle connection lost');
    logger.warn({ error: new TypeError('not a function') }, 'odd');
    const [first, second] = lines.map((line) => JSON.parse(line));
    assert.equal(first.err.type, 'ConnectionLost');
    assert.equal(first.err.message, 'the server went away');
    assert.equal(first.err.code, 'ECONNRESET');
    assert.match(first.err.stack, /logger\.test\.ts/);
    assert.equal(second.error.type, 'TypeError');
  });

  it('formats a line for a terminal: level, message, fields, then the stack', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'warn', destination, format: 'human' });
    logger.info('not shown');
    logger.warn({ component: 'workers', token: 'SECRET' }, 'pg-boss error');
    assert.deepEqual(lines, [`policypay warn: pg-boss error component=workers token=${REDACTED}\n`]);
    const withError = humanLine(
      JSON.stringify({ level: 'error', time: 'x', pid: 1, msg: 'failed', err: { stack: 'Error: boom\n    at here' } }),
    );
    assert.equal(withError, 'policypay error: failed\n  Error: boom\n      at here\n');
    assert.equal(humanLine('not json'), 'not json\n');
  });
});
