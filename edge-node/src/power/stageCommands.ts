/**
 * What one power stage was told and what it confirmed, and from that the most it may be enforcing.
 * A write is confirmed by the stage's acknowledgement (its `setLimit` resolved) or by its status
 * reporting the written limit as both requested and applied; never by a low measured draw (a car
 * can resume at any moment up to the limit really in force).
 */
import type { PowerStageStatus } from "@chargemesh/hal";

interface Write {
  readonly id: number;
  readonly limitW: number;
  readonly sentAtMs: number;
}

export class StageCommands {
  private confirmedW: number;
  private confirmedId = 0;
  private writes: Write[] = [];
  private nextId = 1;
  /** Consecutive writes that timed out unconfirmed (reset by a confirmation). */
  timeouts = 0;
  /** True once a write was acknowledged by the stage itself since the manager last cleared it (status reports
   *  alone can match a write that never arrived, when it asks for what the stage already holds). */
  acknowledgedSinceReset = false;

  constructor(initial: PowerStageStatus) {
    this.confirmedW = Math.max(initial.appliedLimitW, initial.requestedLimitW);
  }

  /** The limit last written (or, with nothing in flight, the confirmed one), W. */
  commandedW(): number {
    return this.writes.at(-1)?.limitW ?? this.confirmedW;
  }

  /** The limit the stage confirmed last, W. */
  confirmed(): number {
    return this.confirmedW;
  }

  /** True when every write is confirmed. */
  settled(): boolean {
    return this.writes.length === 0;
  }

  /** The most the stage may be enforcing: the confirmed limit, every unconfirmed write, and what its
   *  status last reported as applied or requested; plus `fallbackW` when it may fall back on its own. */
  budgetW(status: PowerStageStatus, fallbackW: number): number {
    let w = Math.max(this.confirmedW, status.appliedLimitW, status.requestedLimitW, fallbackW);
    for (const x of this.writes) w = Math.max(w, x.limitW);
    return w;
  }

  /** Records a write about to be sent; returns its id. */
  begin(limitW: number, nowMs: number): number {
    const id = this.nextId++;
    this.writes.push({ id, limitW, sentAtMs: nowMs });
    return id;
  }

  /** The stage acknowledged write `id` (it applies writes in order, so earlier ones are superseded).
   *  Returns true when this changed what is confirmed. */
  acknowledged(id: number): boolean {
    this.acknowledgedSinceReset = true;
    if (id <= this.confirmedId) return false;
    const w = this.writes.find((x) => x.id === id);
    if (!w) return false;
    this.confirm(w);
    return true;
  }

  /** Confirms every write when the status reports the last one as requested and applied. */
  reported(status: PowerStageStatus): boolean {
    const last = this.writes.at(-1);
    if (!last || status.appliedLimitW !== last.limitW || status.requestedLimitW !== last.limitW) return false;
    this.confirm(last);
    return true;
  }

  /** The unconfirmed write sent last, if any. */
  lastUnconfirmed(): { readonly id: number; readonly limitW: number; readonly sentAtMs: number } | undefined {
    return this.writes.at(-1);
  }

  private confirm(w: Write): void {
    this.confirmedId = w.id;
    this.confirmedW = w.limitW;
    this.writes = this.writes.filter((x) => x.id > w.id);
    this.timeouts = 0;
  }
}
