// A lean HTTP/1.1 client for the load generator: one keep-alive socket per simulated client, one
// request at a time, each written in a single `write` and its response parsed just enough to
// check the status and find where it ends (Content-Length or chunked). Node's `http` client cost
// ~0.28 ms of CPU per request here, taken from the same two cores as the server it measures; load
// tools (wrk, autocannon) keep that small the same way.
import net from 'node:net';

export interface HttpResponse {
  status: number;
  body: Buffer;
}

interface Pending {
  resolve: (response: HttpResponse) => void;
  reject: (error: Error) => void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class HttpConnection {
  readonly #host: string;
  readonly #port: number;
  #socket: net.Socket | undefined;
  #pending: Pending | undefined;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  /** Sends a request and resolves with its response; opens (or reopens) the socket as needed. */
  request(method: string, path: string, headers: Record<string, string>, body?: string): Promise<HttpResponse> {
    if (this.#pending) return Promise.reject(new Error('one request at a time per connection'));
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.#host}:${this.#port}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    const message = `${head}\r\n${body ?? ''}`;
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#connected().write(message);
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #connected(): net.Socket {
    if (this.#socket && !this.#socket.destroyed) return this.#socket;
    const socket = net.connect({ host: this.#host, port: this.#port, noDelay: true });
    this.#buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    const fail = (error: Error) => {
      if (this.#socket === socket) this.#socket = undefined;
      const pending = this.#pending;
      this.#pending = undefined;
      pending?.reject(error);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('the server closed the connection')));
    this.#socket = socket;
    return socket;
  }

  /** Completes the pending request once its whole response is in the buffer. */
  #parse(): void {
    const headerEnd = this.#buffer.indexOf(HEADER_END);
    if (headerEnd < 0 || !this.#pending) return;
    const head = this.#buffer.toString('latin1', 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const bodyStart = headerEnd + HEADER_END.length;
    let body: Buffer;
    let end: number;
    if (lengthMatch) {
      end = bodyStart + Number(lengthMatch[1]);
      if (this.#buffer.length < end) return;
      body = this.#buffer.subarray(bodyStart, end);
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const decoded = decodeChunked(this.#buffer, bodyStart);
      if (!decoded) return;
      ({ body, end } = decoded);
    } else {
      body = Buffer.alloc(0);
      end = bodyStart;
    }
    this.#buffer = this.#buffer.subarray(end);
    const pending = this.#pending;
    this.#pending = undefined;
    pending.resolve({ status, body });
  }
}

/** A chunked body starting at `start`, or null while it is incomplete. */
function decodeChunked(buffer: Buffer, start: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(buffer.toString('latin1', at, lineEnd), 16);
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // No trailers from the servers measured here: the body ends with an empty line.
      if (buffer.length < dataStart + 2) return null;
      return { body: Buffer.concat(parts), end: dataStart + 2 };
    }
    if (buffer.length < dataStart + size + 2) return null;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    at = dataStart + size + 2;
  }
}
