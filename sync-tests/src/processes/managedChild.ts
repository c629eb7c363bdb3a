import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import type { Answer, ChildMessage, ChildRequest, RequestMessage } from "./ipcProtocol.js";

type Ready = Extract<ChildMessage, { type: "ready" }>;
const TAIL_CHARS = 6_000;

export interface ManagedChildOptions {
  /** A name for messages ("site-1", "region-a"). */
  readonly name: string;
  /** The TypeScript entry point, run with `node --import tsx`. */
  readonly file: string;
  /** Its single JSON argument. */
  readonly arg: unknown;
  readonly readyTimeoutMs: number;
  /** Hears every message the child sends on its own (progress, finished). */
  readonly onEvent?: (m: ChildMessage) => void;
  /** Hears an exit the parent did not cause with `kill()`, with the child's output tail. */
  readonly onUnexpectedExit: (name: string, description: string) => void;
}

/**
 * One child process driven over IPC: started with `fork`, its stdout and stderr kept (tail), its
 * requests answered by id. `start` resolves on the child's ready message and rejects (with the output
 * tail) when the child exits or stays silent first. An exit not caused by `kill()` is reported.
 */
export class ManagedChild {
  private output = "";
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private killing = false;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly opts: ManagedChildOptions,
    private readonly proc: ChildProcess,
    private ready: Ready | null = null,
  ) {
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-TAIL_CHARS));
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    proc.on("message", (m: ChildMessage) => this.onMessage(m));
    this.exited = new Promise((resolve) =>
      proc.on("exit", (code, signal) => {
        for (const p of this.pending.values())
          p.reject(new Error(`${opts.name} exited (code ${code}, signal ${signal})\n${this.tail()}`));
        this.pending.clear();
        if (!this.killing)
          opts.onUnexpectedExit(
            opts.name,
            `${opts.name} exited on its own (code ${code}, signal ${signal}); output tail:\n${this.tail()}`,
          );
        resolve({ code, signal });
      }),
    );
  }

  /** Starts the child and waits for its ready message; rejects with its output tail when it exits, or
   *  kills it and rejects when it is not ready in time. */
  static async start(opts: ManagedChildOptions): Promise<ManagedChild> {
    const proc = fork(opts.file, [JSON.stringify(opts.arg)], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const child = new ManagedChild(opts, proc);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A child that never became ready is killed here: nobody else holds it.
        void child.kill();
        reject(new Error(`${opts.name} not ready after ${opts.readyTimeoutMs} ms\n${child.tail()}`));
      }, opts.readyTimeoutMs);
      proc.on("message", (m: ChildMessage) => m.type === "ready" && (clearTimeout(timer), resolve()));
      void child.exited.then(
        ({ code, signal }) => (
          clearTimeout(timer),
          reject(
            new Error(`${opts.name} exited before ready (code ${code}, signal ${signal})\n${child.tail()}`),
          )
        ),
      );
    });
    return child;
  }

  get name(): string {
    return this.opts.name;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The ready message (peer ID, root URL, simulated time at start). */
  get info(): Ready {
    if (!this.ready) throw new Error(`${this.opts.name} is not ready`);
    return this.ready;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last few thousand characters the child wrote to stdout and stderr. */
  tail(): string {
    return this.output;
  }

  /** Sends a request and resolves with the child's answer; rejects on an error reply, exit or timeout. */
  ask<K extends ChildRequest["kind"]>(
    request: Extract<ChildRequest, { kind: K }>,
    timeoutMs = 30_000,
  ): Promise<Answer[K]> {
    const id = this.nextId++;
    return new Promise<Answer[K]>((resolve, reject) => {
      if (!this.alive || !this.proc.connected) return reject(new Error(`${this.opts.name} is not running`));
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.opts.name} did not answer ${request.kind} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as Answer[K])),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      const msg: RequestMessage = { type: "request", id, request };
      this.proc.send(msg);
    });
  }

  /** SIGKILLs the child (an expected exit) and resolves with its exit signal once it is gone. */
  async kill(): Promise<NodeJS.Signals | null> {
    this.killing = true;
    if (this.alive) this.proc.kill("SIGKILL");
    return (await this.exited).signal;
  }

  private onMessage(m: ChildMessage): void {
    if (m.type === "reply") {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(new Error(`${this.opts.name}: ${m.error}`));
      return;
    }
    if (m.type === "ready") this.ready = m;
    this.opts.onEvent?.(m);
  }
}
