/**
 * A supervised child's side of the IPC channel: messages to the supervisor, the supervisor's
 * messages to it, and the rule that a child never outlives its supervisor: when the channel closes
 * (the supervisor stopped or died) the child stops, and exits within `graceMs` whatever happens.
 */
export class ParentChannel<In extends { type: string }, Out> {
  private stopping = false;

  constructor(
    private readonly stop: (why: string) => Promise<void>,
    private readonly graceMs = 5_000,
  ) {
    if (!process.send) throw new Error("no IPC channel: this file is started by the network supervisor");
    process.on("disconnect", () => this.stopAndExit("supervisor gone"));
    // The supervisor may have gone while this process was still loading its modules.
    if (!process.connected) queueMicrotask(() => this.stopAndExit("supervisor gone"));
    process.on("SIGTERM", () => this.stopAndExit("SIGTERM"));
    // Ctrl-C reaches the whole process group: the supervisor decides, and tells each child to stop.
    process.on("SIGINT", () => undefined);
  }

  /** Hears the supervisor's messages (a `stop` stops the process). */
  onMessage(handler: (m: In) => void): void {
    process.on("message", (m: In) => {
      if (m?.type === "stop") return this.stopAndExit("supervisor asked");
      if (typeof m?.type === "string") handler(m);
    });
  }

  /** Sends one message; dropped silently when the channel is gone (the process is stopping then). */
  send(message: Out): void {
    if (process.connected) process.send!(message, undefined, undefined, () => undefined);
  }

  /** Stops the process cleanly once (`stop`), then exits 0; exits 70 after `graceMs` regardless. */
  stopAndExit(why: string): void {
    if (this.stopping) return;
    this.stopping = true;
    setTimeout(() => process.exit(70), this.graceMs).unref();
    this.stop(why).then(
      () => process.exit(0),
      () => process.exit(70),
    );
  }
}
