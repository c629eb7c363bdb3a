import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { NetworkSnapshot } from "./networkSupervisor.js";
import type { PrintedUrl } from "./printUrls.js";
import type { ChildEvent } from "./supervisedChild.js";

/** One line of `npm start -- --json`. */
export type NetworkEvent =
  | { readonly event: "urls"; readonly heading: string; readonly urls: readonly PrintedUrl[] }
  | ({ readonly event: "summary" } & NetworkSnapshot)
  | ({ readonly event: "child" } & ChildEvent)
  | { readonly event: "note"; readonly text: string };

const ENTRY = fileURLToPath(new URL("./startNetwork.ts", import.meta.url));
const REPO = fileURLToPath(new URL("../../", import.meta.url));
const TAIL_CHARS = 8_000;

/**
 * The embedded default run as a child process with `--json` (for tests and benches): every event
 * it prints is kept, `waitFor` resolves on the first event (past or future) a picker accepts, and
 * rejects, with the output tail, when the network exits first or `timeoutMs` passes.
 */
export class NetworkProcess {
  readonly events: NetworkEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly proc: ChildProcess;
  private readonly listeners = new Set<(e: NetworkEvent) => void>();
  private stderr = "";
  private done = false;

  /** Starts `npm start -- --json <args>` (as `node --import tsx network/src/startNetwork.ts`, in the repository's root: give `--data` as an absolute path). */
  constructor(args: readonly string[]) {
    this.proc = spawn(process.execPath, ["--import", "tsx", ENTRY, "--json", ...args], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    this.proc.stdout!.on("data", (d: Buffer) => {
      const lines = (partial + d.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        try {
          const e = JSON.parse(line) as NetworkEvent;
          this.events.push(e);
          for (const l of this.listeners) l(e);
        } catch {
          // Not an event line.
        }
      }
    });
    this.proc.stderr!.on(
      "data",
      (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-TAIL_CHARS)),
    );
    this.exited = new Promise((resolve) =>
      this.proc.once("exit", (code, signal) => {
        this.done = true;
        resolve({ code, signal });
        for (const l of this.listeners) l({ event: "note", text: "exited" });
      }),
    );
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The network's stderr tail. */
  tail(): string {
    return this.stderr;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.done) this.proc.kill(signal);
  }

  /** The first event for which `pick` returns a value (not undefined/null/false), past or future. */
  waitFor<T>(
    pick: (e: NetworkEvent) => T | undefined | null | false,
    what: string,
    timeoutMs = 120_000,
  ): Promise<T> {
    for (const e of this.events) {
      const v = pick(e);
      if (v !== undefined && v !== null && v !== false) return Promise.resolve(v);
    }
    return new Promise<T>((resolve, reject) => {
      const finish = (f: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(listener);
        f();
      };
      const fail = (why: string) =>
        finish(() =>
          reject(
            new Error(
              `${what}: ${why}\nlast events: ${this.events
                .slice(-3)
                .map((e) => JSON.stringify(e).slice(0, 600))
                .join("\n")}\nstderr: ${this.stderr}`,
            ),
          ),
        );
      const listener = (e: NetworkEvent) => {
        const v = pick(e);
        if (v !== undefined && v !== null && v !== false) finish(() => resolve(v));
        else if (this.done) fail("the network exited first");
      };
      const timer = setTimeout(() => fail(`not seen within ${timeoutMs} ms`), timeoutMs);
      this.listeners.add(listener);
      if (this.done) fail("the network exited first");
    });
  }

  /** Stops the network with SIGTERM (SIGKILL after `graceMs`) and resolves with its exit. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal("SIGTERM");
    const killer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    const exit = await this.exited;
    clearTimeout(killer);
    return exit;
  }
}
