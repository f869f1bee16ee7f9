// A TCP load balancer in front of the API processes: each new connection goes to the next backend in turn, and to
// the one after when that backend is down (killed), as a plain round-robin balancer with a connect retry does.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface RoundRobinProxy {
  url: string;
  close(): Promise<void>;
}

export async function startRoundRobinProxy(backendPorts: readonly number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const sockets = new Set<Socket>();
  const dial = (client: Socket, triesLeft: number) => {
    const port = backendPorts[next++ % backendPorts.length] as number;
    const upstream = connect(port, '127.0.0.1');
    sockets.add(upstream);
    let connected = false;
    upstream.once('close', () => {
      sockets.delete(upstream);
      if (connected) client.destroy();
    });
    upstream.once('connect', () => {
      connected = true;
      client.on('error', () => upstream.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
    });
    upstream.on('error', (err) => {
      if (connected) client.destroy();
      else if (triesLeft > 1) dial(client, triesLeft - 1);
      else client.destroy(err);
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    dial(client, backendPorts.length * 2);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
