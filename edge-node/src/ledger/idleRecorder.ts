import type { Clock, MeterId, StallId } from "@chargemesh/shared-model";
import { IDLE_RECORD_INTERVAL_MS, RecordStatus } from "@chargemesh/shared-model";
import type { LedgerWriter } from "./ledgerWriter.js";

/** The default idle-record interval (shared-model's, beside the record-gap policy it implies). */
export { IDLE_RECORD_INTERVAL_MS };

export interface IdleMeter {
  readonly meterId: MeterId;
  readonly stallId: StallId;
  /** The meter's current import register (Wh), or null when it cannot be read now. */
  readonly readRegisterWh: () => Promise<number | null>;
  /** Preferred when present: the register with a certified meter's own signed payload for it (null for plain meters). */
  readonly readReading?: () => Promise<IdleReading | null>;
}

export interface IdleReading {
  readonly registerWh: number;
  readonly meterPayload: Uint8Array | null;
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
      const reading = m.readReading
        ? await m.readReading()
        : await m
            .readRegisterWh()
            .then((registerWh) => (registerWh === null ? null : { registerWh, meterPayload: null }));
      if (reading === null || reading.registerWh < this.writer.lastRegisterWh(m.meterId)) continue;
      const { registerWh, meterPayload } = reading;
      await this.writer.append({
        meterId: m.meterId,
        stallId: m.stallId,
        sessionId: null,
        kind: "checkpoint",
        registerWh,
        status: RecordStatus.ok,
        meterPayload,
      });
      written++;
    }
    return written;
  }
}
