import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import type { WriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import { systemClock } from "@chargemesh/shared-model";
import type { Clock } from "@chargemesh/shared-model";

const TAIL_CHARS = 4_000;
/** Children run in the repository's root, where `--import tsx` resolves. */
const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** How a crashed child comes back: after `firstMs`, doubling per consecutive crash up to `maxMs`. */
export interface RestartBackoff {
  readonly firstMs: number;
  readonly maxMs: number;
  /** A child up this long after its ready message counts as healthy again (the delay starts over). */
  readonly healthyAfterMs: number;
  /** A child that never got ready gives up after this many failed starts in a row. */
  readonly maxFailedStarts: number;
}

export const DEFAULT_BACKOFF: RestartBackoff = {
  firstMs: 1_000,
  maxMs: 30_000,
  healthyAfterMs: 30_000,
  maxFailedStarts: 3,
};

/** What happens to a supervised child, for the console. */
export type ChildEvent =
  | { readonly kind: "started"; readonly name: string; readonly pid: number; readonly start: number }
  | { readonly kind: "ready"; readonly name: string; readonly pid: number; readonly start: number }
  | {
      readonly kind: "exited";
      readonly name: string;
      readonly pid: number;
      readonly code: number | null;
      readonly signal: string | null;
      /** The last line the child wrote to stderr. */
      readonly lastLine: string;
    }
  | { readonly kind: "restarting"; readonly name: string; readonly inMs: number; readonly restarts: number }
  | { readonly kind: "gave-up"; readonly name: string; readonly reason: string };

export interface SupervisedChildOptions<M> {
  readonly name: string;
  /** The TypeScript entry point, run with `node --import tsx`. */
  readonly file: string;
  /** Its single JSON argument (no secrets: a command line is visible to every user). */
  readonly arg: unknown;
  /** The child's stderr is appended here. */
  readonly stderrFile: string;
  /** The child's stdout (its JSON logs under `--json-logs`) is forwarded line by line here; null: dropped. */
  readonly stdout: NodeJS.WritableStream | null;
  readonly readyTimeoutMs: number;
  readonly backoff?: RestartBackoff;
  /** Measures how long a child stayed up (default: the system clock). */
  readonly clock?: Clock;
  /** Every message the child sends (a message whose type is "ready" also marks it ready). */
  readonly onMessage: (m: M) => void;
  readonly onEvent: (e: ChildEvent) => void;
}

/**
 * One child process the supervisor keeps running: forked with an IPC channel (the child exits when
 * the channel closes, so it never outlives the supervisor), restarted with backoff whenever it exits
 * unless `stop` was called, and given up on (event "gave-up") only when it fails to get ready
 * `maxFailedStarts` times in a row. A child not ready within `readyTimeoutMs` is killed and restarted.
 */
export class SupervisedChild<M extends { type: string }, In> {
  private proc: ChildProcess | null = null;
  private stopping = false;
  private starts = 0;
  private failedStarts = 0;
  private consecutiveCrashes = 0;
  private readyAtMs: number | null = null;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private readyTimer: ReturnType<typeof setTimeout> | null = null;
  private exited: Promise<void> = Promise.resolve();
  private tail = "";
  private readonly stderrLog: WriteStream;
  private readonly backoff: RestartBackoff;
  private readonly clock: Clock;
  /** Crashes and restarts so far. */
  restarts = 0;

  constructor(private readonly opts: SupervisedChildOptions<M>) {
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.clock = opts.clock ?? systemClock;
    this.stderrLog = createWriteStream(opts.stderrFile, { flags: "a" });
    this.stderrLog.on("error", () => undefined);
  }

  get name(): string {
    return this.opts.name;
  }

  /** The running process's ID, or null between a crash and the restart. */
  get pid(): number | null {
    return this.proc && this.proc.exitCode === null && this.proc.signalCode === null
      ? (this.proc.pid ?? null)
      : null;
  }

  /** Whether the running process has sent its ready message. */
  get ready(): boolean {
    return this.readyAtMs !== null;
  }

  /** Starts the child (once; later starts are the supervisor's restarts). */
  start(): void {
    if (this.proc || this.stopping) return;
    this.spawn();
  }

  /** Sends a message to the running child; false when none is running or its channel is gone. */
  send(message: In): boolean {
    const p = this.proc;
    if (!p || !p.connected) return false;
    p.send(message as object, undefined, undefined, () => undefined);
    return true;
  }

  /** Stops for good: asks the child to stop, SIGKILLs it after `graceMs`, resolves once it is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.readyTimer) clearTimeout(this.readyTimer);
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      if (!this.send({ type: "stop" } as In)) p.kill("SIGTERM");
      const killer = setTimeout(() => p.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(killer);
    }
    this.stderrLog.end();
  }

  private spawn(): void {
    this.starts++;
    this.readyAtMs = null;
    const proc = fork(this.opts.file, [JSON.stringify(this.opts.arg)], {
      execArgv: ["--import", "tsx"],
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.proc = proc;
    proc.stderr!.on("data", (d: Buffer) => {
      this.stderrLog.write(d);
      this.tail = (this.tail + d.toString()).slice(-TAIL_CHARS);
    });
    let partial = "";
    proc.stdout!.on("data", (d: Buffer) => {
      if (!this.opts.stdout) return;
      const text = partial + d.toString();
      const cut = text.lastIndexOf("\n") + 1;
      partial = text.slice(cut);
      if (cut > 0) this.opts.stdout.write(text.slice(0, cut));
    });
    proc.on("message", (m: M) => {
      if (m?.type === "ready" && this.readyAtMs === null) {
        this.readyAtMs = this.clock.now();
        this.failedStarts = 0;
        if (this.readyTimer) clearTimeout(this.readyTimer);
        this.opts.onEvent({ kind: "ready", name: this.name, pid: proc.pid ?? -1, start: this.starts });
      }
      this.opts.onMessage(m);
    });
    // A failed fork (no such binary, no memory) surfaces as an exit below; the error itself is kept.
    proc.on("error", (e) => (this.tail += `\n${e.message}`));
    this.exited = new Promise((resolve) =>
      proc.once("exit", (code, signal) => (this.onExit(proc, code, signal), resolve())),
    );
    this.readyTimer = setTimeout(() => {
      this.tail += `\nnot ready after ${this.opts.readyTimeoutMs} ms`;
      proc.kill("SIGKILL");
    }, this.opts.readyTimeoutMs);
    this.opts.onEvent({ kind: "started", name: this.name, pid: proc.pid ?? -1, start: this.starts });
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.readyTimer) clearTimeout(this.readyTimer);
    const lastLine = this.tail.trimEnd().split("\n").pop() ?? "";
    this.tail = "";
    this.opts.onEvent({ kind: "exited", name: this.name, pid: proc.pid ?? -1, code, signal, lastLine });
    if (this.stopping) return;
    const wasReady = this.readyAtMs !== null;
    if (!wasReady && ++this.failedStarts >= this.backoff.maxFailedStarts) {
      this.stopping = true;
      return this.opts.onEvent({
        kind: "gave-up",
        name: this.name,
        reason: `${this.failedStarts} starts in a row ended before it was ready; last: ${lastLine || `code ${code}, signal ${signal}`}`,
      });
    }
    const healthy = wasReady && this.clock.now() - this.readyAtMs! >= this.backoff.healthyAfterMs;
    this.consecutiveCrashes = healthy ? 1 : this.consecutiveCrashes + 1;
    const inMs = Math.min(this.backoff.maxMs, this.backoff.firstMs * 2 ** (this.consecutiveCrashes - 1));
    this.restarts++;
    this.opts.onEvent({ kind: "restarting", name: this.name, inMs, restarts: this.restarts });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, inMs);
  }
}
