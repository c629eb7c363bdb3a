import { createServer } from "node:net";
import type { Server } from "node:net";

/**
 * One free TCP port on `host` for each entry of `preferred`: the preferred port when it is free
 * (0: any), otherwise one the system picks. All are held until every one is chosen, so no two are
 * the same. Rejects when even a system-picked port cannot be had.
 */
export async function freePorts(host: string, preferred: readonly number[]): Promise<number[]> {
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (const p of preferred) {
      const server = (await listenOn(host, p).catch(() => null)) ?? (await listenOn(host, 0));
      held.push(server);
      ports.push((server.address() as { port: number }).port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

function listenOn(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}
