import type { Clock, MeterId, StallId } from "@chargemesh/shared-model";
import { RecordStatus } from "@chargemesh/shared-model";
import type { LedgerWriter } from "./ledgerWriter.js";

/** The default idle-record interval: a meter signs a record at least this often, charging or not. */
export const IDLE_RECORD_INTERVAL_MS = 15 * 60_000;

export interface IdleMeter {
  readonly meterId: MeterId;
  readonly stallId: StallId;
  /** The meter's current import register (Wh), or null when it cannot be read now. */
  readonly readRegisterWh: () => Promise<number | null>;
}

/**
 * Completeness while idle (docs/auditing.md "Completeness"): whenever a meter's chain has had no
 * record for `intervalMs`, `tick` appends a signed idle checkpoint (no session) with the meter's
 * current register, so a stretch of time missing from a bundle shows as a gap in meter time. A
 * meter that cannot be read (or reads below its chain) gets no record: its silence is visible too.
 */
export class IdleRecorder {
  constructor(
    private readonly writer: LedgerWriter,
    private readonly clock: Clock,
    private readonly meters: () => readonly IdleMeter[],
    private readonly intervalMs: number = IDLE_RECORD_INTERVAL_MS,
  ) {}

  /** Appends the idle records that are due; resolves with how many were written. */
  async tick(): Promise<number> {
    let written = 0;
    for (const m of this.meters()) {
      if (this.clock.now() - this.writer.lastTimeMs(m.meterId) < this.intervalMs) continue;
      const registerWh = await m.readRegisterWh();
      if (registerWh === null || registerWh < this.writer.lastRegisterWh(m.meterId)) continue;
      await this.writer.append({
        meterId: m.meterId,
        stallId: m.stallId,
        sessionId: null,
        kind: "checkpoint",
        registerWh,
        status: RecordStatus.ok,
      });
      written++;
    }
    return written;
  }
}
