import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import pino from "pino";
import { exitOnUnexpectedErrors } from "@chargemesh/automerge-network-libp2p";

/** Every bench child still running: killed when the bench process exits, however it exits. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of running) c.kill("SIGKILL");
});

/** One request to a bench child process and its answer, matched by `id`. */
interface Envelope {
  readonly id: number;
  readonly body: unknown;
  readonly error?: string;
}

/** A bench child process (TypeScript through tsx) answering requests over the IPC channel. */
export class BenchChild {
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(readonly process: ChildProcess) {
    process.on("message", (m: Envelope) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.body);
    });
    running.add(process);
    process.on("exit", (code, signal) => {
      running.delete(process);
      for (const w of this.waiting.values()) w.reject(new Error(`bench child exited with ${code ?? signal}`));
      this.waiting.clear();
    });
    // A send to a child that just died: the pending request is rejected by the exit above.
    process.on("error", () => undefined);
  }

  /** Starts `script` in its own Node process (tsx loader, extra Node flags); fails if it cannot be spawned. */
  static start(script: string, nodeFlags: readonly string[] = []): BenchChild {
    return new BenchChild(
      fork(script, [], {
        execArgv: ["--import", "tsx", ...nodeFlags],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      }),
    );
  }

  /** Sends a request; resolves with the child's answer, rejects with its error or when it exits. */
  request<T>(body: unknown): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null || !this.process.connected)
        return reject(
          new Error(`bench child exited with ${this.process.exitCode ?? this.process.signalCode}`),
        );
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ id, body }, (e) => {
        if (!e) return;
        this.waiting.delete(id);
        reject(e);
      });
    });
  }

  /** Asks the child to stop and waits for it to exit (killed after 10 s). */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once("exit", () => resolve()));
    await this.request({ cmd: "stop" }).catch(() => undefined);
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * In a child: answers every request with `handle`'s result (or its error message). The child runs
 * under the sync processes' crash policy (automerge-repo's ready timeout tolerated, anything else
 * logged and exit 70) and exits when the bench goes away.
 */
export function serveRequests(handle: (body: never) => Promise<unknown>): void {
  benchCrashPolicy("bench-child");
  process.on("disconnect", () => process.exit(0));
  process.on("message", (m: Envelope) => {
    handle(m.body as never).then(
      (body) => process.send?.({ id: m.id, body }),
      (e: unknown) =>
        process.send?.({ id: m.id, body: null, error: e instanceof Error ? e.message : String(e) }),
    );
  });
}

/** The sync processes' crash policy for a bench process (main or child), logging to stderr as `role`. */
export function benchCrashPolicy(role = "bench"): void {
  exitOnUnexpectedErrors(pino({ level: "warn", base: { role } }, pino.destination(2)));
}
