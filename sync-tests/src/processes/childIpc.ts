import type { Answer, ChildMessage, ChildRequest, RequestMessage } from "./ipcProtocol.js";

export type Handlers = {
  [K in ChildRequest["kind"]]?: (req: Extract<ChildRequest, { kind: K }>) => Promise<Answer[K]>;
};

/** Sends one message to the parent; throws when the process was not started with an IPC channel. */
export function tellParent(message: ChildMessage): void {
  if (!process.send) throw new Error("no IPC channel: start this file with child_process.fork");
  process.send(message);
}

/**
 * Answers the parent's requests with `handlers` (a kind without a handler, or a handler that throws,
 * gets an error reply; the process stays up). The process exits when the parent goes away, so a child
 * never outlives the test that started it.
 */
export function serveParent(handlers: Handlers): void {
  if (!process.send) throw new Error("no IPC channel: start this file with child_process.fork");
  process.on("disconnect", () => process.exit(0));
  process.on("message", (raw: RequestMessage) => {
    if (raw?.type !== "request") return;
    const handler = handlers[raw.request.kind] as ((r: ChildRequest) => Promise<unknown>) | undefined;
    const reply = (m: ChildMessage) => process.connected && process.send!(m);
    if (!handler)
      return void reply({
        type: "reply",
        id: raw.id,
        ok: false,
        error: `no handler for ${raw.request.kind}`,
      });
    handler(raw.request).then(
      (value) => reply({ type: "reply", id: raw.id, ok: true, value }),
      (e: unknown) =>
        reply({
          type: "reply",
          id: raw.id,
          ok: false,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        }),
    );
  });
}

/** Reads the child's single JSON argument (argv[2]) as T; throws with a usage line when absent or invalid. */
export function jsonArgument<T>(what: string): T {
  const raw = process.argv[2];
  if (!raw) throw new Error(`usage: node --import tsx <file> '<${what} as JSON>'`);
  return JSON.parse(raw) as T;
}
