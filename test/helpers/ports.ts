// A TCP port nobody listens on right now, for servers that must come back on the same address after a kill.
// Chosen below the kernel's ephemeral range (32768–60999 on Linux), so no outgoing connection on the machine can be
// handed it as its local port while the server is down between a kill and its restart.
import { createServer } from 'node:net';

const LOWEST = 20_000;
const HIGHEST = 32_767;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(false) : reject(err),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 1));
    if (await tryListen(port)) return port;
  }
  throw new Error(`findFreePort: no free port between ${LOWEST} and ${HIGHEST} after 100 tries`);
}
