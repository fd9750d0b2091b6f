import net from 'node:net';

/**
 * A TCP proxy in front of a PostgreSQL server that counts round trips: each time a client speaks
 * after the server has answered it (or for the first time). What a client writes in one go, before
 * any answer, is one round trip however many statements it holds.
 */
export interface RoundTripProxy {
  /** The server's URL with the proxy's host and port. */
  url: string;
  roundTrips(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function roundTripProxy(serverUrl: string): Promise<RoundTripProxy> {
  const target = new URL(serverUrl);
  const sockets = new Set<net.Socket>();
  let roundTrips = 0;
  const proxy = net.createServer((client) => {
    const server = net.connect({ host: target.hostname, port: Number(target.port || 5432), noDelay: true });
    client.setNoDelay(true);
    sockets.add(client).add(server);
    let answered = true;
    client.on('data', (chunk) => {
      if (answered) roundTrips += 1;
      answered = false;
      server.write(chunk);
    });
    server.on('data', (chunk) => {
      answered = true;
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      server.destroy();
      sockets.delete(client);
      sockets.delete(server);
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    roundTrips: () => roundTrips,
    reset: () => {
      roundTrips = 0;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
