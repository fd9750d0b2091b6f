import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { HttpConnection } from '../../bench/http-connection.ts';

// The bench's load generator client against a real Node HTTP server: fixed-length and chunked
// bodies, one socket kept alive across requests, and a fresh one after the server closes it.
describe('bench HTTP connection', () => {
  let server: http.Server;
  let port: number;
  const sockets = new Set<unknown>();

  before(async () => {
    server = http.createServer((req, res) => {
      sockets.add(req.socket);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('first,');
          res.end('second');
        } else if (req.url === '/close') {
          res.writeHead(204, { connection: 'close' });
          res.end();
        } else {
          const text = JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null });
          res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          res.end(text);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a body and reads a Content-Length response, reusing one socket', async () => {
    const connection = new HttpConnection('127.0.0.1', port);
    for (const n of [1, 2, 3]) {
      const response = await connection.request('POST', '/echo', { authorization: 'Bearer k' }, `{"n":${n}}`);
      assert.equal(response.status, 201);
      assert.deepEqual(JSON.parse(response.body.toString('utf8')), {
        method: 'POST',
        body: `{"n":${n}}`,
        auth: 'Bearer k',
      });
    }
    connection.close();
    assert.equal(sockets.size, 1);
  });

  it('reads a chunked response whole', async () => {
    const connection = new HttpConnection('127.0.0.1', port);
    const response = await connection.request('GET', '/chunked', {});
    assert.equal(response.status, 200);
    assert.equal(response.body.toString('utf8'), 'first,second');
    connection.close();
  });

  it('opens a new socket after the server closed the last one', async () => {
    const connection = new HttpConnection('127.0.0.1', port);
    assert.equal((await connection.request('GET', '/close', {})).status, 204);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await connection.request('GET', '/echo', {})).status, 201);
    connection.close();
  });

  it('refuses a second request while one is in flight', async () => {
    const connection = new HttpConnection('127.0.0.1', port);
    const first = connection.request('GET', '/echo', {});
    await assert.rejects(connection.request('GET', '/echo', {}), /one request at a time/);
    assert.equal((await first).status, 201);
    connection.close();
  });
});
