import { createConnection } from "node:net";

/**
 * Says whether a TCP service answers on host:port. Tests that need PostgreSQL, Redis, NATS or RabbitMQ
 * call `serviceGate`: absent service + no CI => skip with a clear message; absent in CI => the test fails.
 */
export async function serviceAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Returns true when the test should run; false (skip) only outside CI; throws in CI when the service is absent. */
export async function serviceGate(name: string, host: string, port: number): Promise<boolean> {
  if (await serviceAnswers(host, port)) return true;
  if (process.env.CI) throw new Error(`${name} is required in CI but does not answer on ${host}:${port}`);
  console.warn(`SKIP: ${name} not reachable on ${host}:${port} (and CI is not set)`);
  return false;
}
