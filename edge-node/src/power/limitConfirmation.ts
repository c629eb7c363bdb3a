/** Waiting for a power stage to take a new limit, with a timeout. */
import type { PowerStage } from "@chargemesh/hal";
import type { Scheduler } from "./scheduler.js";

/** Stage states in which the controller has no contact with the stage. */
export const NO_CONTACT: ReadonlySet<string> = new Set(["faulted", "unreachable"]);

export interface ConfirmOptions {
  readonly scheduler: Scheduler;
  readonly timeoutMs: number;
  readonly pollMs: number;
  /** Also accept a measured draw at or under the new limit as confirmation (polled). */
  readonly acceptDraw: boolean;
}

/** Commands `limitW` and resolves true once the stage acknowledges (its `setLimit` resolves) or, with
 *  `acceptDraw`, draws at most `limitW` while in contact; resolves false on rejection or timeout.
 *  Never rejects. */
export function confirmLimit(stage: PowerStage, limitW: number, o: ConfirmOptions): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let done = false;
    let cancelPoll = () => {};
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      cancelTimeout();
      cancelPoll();
      resolve(ok);
    };
    const cancelTimeout = o.scheduler.after(o.timeoutMs, () => finish(false));
    stage.setLimit(limitW).then(
      () => finish(true),
      () => finish(false),
    );
    const poll = () => {
      if (done) return;
      const s = stage.status();
      if (s.measuredW <= limitW && !NO_CONTACT.has(s.state)) return finish(true);
      cancelPoll = o.scheduler.after(o.pollMs, poll);
    };
    if (o.acceptDraw) poll();
  });
}
