/** The part of a pino logger this needs. */
export interface CrashLog {
  warn(obj: object, msg: string): void;
  fatal(obj: object, msg: string): void;
}

/**
 * automerge-repo 2.5.x's DocSynchronizer.beginSync awaits `handle.whenReady()` in a floating promise:
 * when a peer announced a document and the document is not ready 60 s later (the peer was cut off),
 * its TimeoutError is an unhandled rejection and Node ends the process (reported upstream:
 * automerge/automerge-repo-sync-server#15). True for exactly that error.
 */
export function isAutomergeRepoReadyTimeout(e: unknown): boolean {
  return (
    e instanceof Error &&
    e.name === "TimeoutError" &&
    (e.stack ?? "").includes("automerge-repo/dist/helpers/withTimeout")
  );
}

/**
 * A sync process's crash policy: any uncaught exception or unhandled rejection is logged (fatal) and
 * ends the process with code 70 (a supervisor restarts it; the store recovers), except automerge-repo's
 * ready timeout above, which is logged (warn) and handed to `onTolerated`: that sync resumes when the
 * peer is back.
 */
export function exitOnUnexpectedErrors(log: CrashLog, onTolerated: (e: Error) => void = () => {}): void {
  process.on("uncaughtException", (e) => {
    log.fatal({ err: e }, "uncaught exception");
    process.exit(70);
  });
  process.on("unhandledRejection", (e) => {
    if (isAutomergeRepoReadyTimeout(e)) {
      log.warn({ err: e }, "automerge-repo ready timeout in beginSync (upstream bug), tolerated");
      return onTolerated(e as Error);
    }
    log.fatal({ err: e }, "unhandled rejection");
    process.exit(70);
  });
}
