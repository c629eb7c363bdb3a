import type { SessionId } from "@chargemesh/shared-model";
import type { LiveStallFigures } from "@chargemesh/shared-model";
import type { StallHardware, StallView } from "../session/sessionOrchestrator.js";
import type { JournalEntry } from "@chargemesh/shared-model";

/**
 * Each stall's live figures as the site sees them now: phase, session and measured power from the
 * orchestrator's stall views, session energy from the meter register since the session's signed
 * begin (0 before the begin), granted power as the limit the stall's power stage enforces.
 * Integers only (negative or fractional inputs are floored and clamped to 0). Never throws on a
 * stall without hardware (granted 0).
 */
export function siteLiveFigures(
  views: readonly StallView[],
  session: (id: SessionId) => JournalEntry | null,
  hardware: readonly StallHardware[],
): LiveStallFigures[] {
  const stages = new Map(hardware.map((h) => [h.config.id as string, h.stage]));
  const whole = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
  return views.map((v) => {
    const begin = v.sessionId ? (session(v.sessionId)?.begin ?? null) : null;
    let grantedW = 0;
    try {
      grantedW = stages.get(v.stallId)?.status().appliedLimitW ?? 0;
    } catch {
      grantedW = 0;
    }
    return {
      stallId: v.stallId,
      phase: v.phase,
      sessionId: v.sessionId,
      powerW: whole(v.powerW),
      sessionEnergyWh: begin ? whole(v.registerWh - begin.registerWh) : 0,
      grantedW: whole(grantedW),
    };
  });
}
