import type { SessionId } from "@chargemesh/shared-model";
import type { LiveStallFigures } from "@chargemesh/shared-model";
import type { StallHardware, StallView } from "../session/sessionOrchestrator.js";
import type { JournalEntry } from "@chargemesh/shared-model";
import type { VehicleAcceptance } from "@chargemesh/hal";

/**
 * Each stall's live figures as the site sees them now: phase, session and measured power from the
 * orchestrator's stall views, session energy from the meter register since the session's signed
 * begin (0 before the begin), granted power as the limit the stall's power stage enforces.
 * Integers only (negative or fractional inputs are floored and clamped to 0). Never throws on a
 * stall without hardware (granted 0). The car's SoC and target come from its vehicle link while a
 * session is on the stall (null when the car reports none or the link fails).
 */
export function siteLiveFigures(
  views: readonly StallView[],
  session: (id: SessionId) => JournalEntry | null,
  hardware: readonly StallHardware[],
): LiveStallFigures[] {
  const stages = new Map(hardware.map((h) => [h.config.id as string, h.stage]));
  const links = new Map(hardware.map((h) => [h.config.id as string, h.link]));
  const whole = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);
  return views.map((v) => {
    const begin = v.sessionId ? (session(v.sessionId)?.begin ?? null) : null;
    let grantedW = 0;
    try {
      grantedW = stages.get(v.stallId)?.status().appliedLimitW ?? 0;
    } catch {
      grantedW = 0;
    }
    let acceptance: VehicleAcceptance | null = null;
    try {
      acceptance = v.sessionId ? (links.get(v.stallId)?.acceptance() ?? null) : null;
    } catch {
      acceptance = null;
    }
    const permille = (n: number | undefined) =>
      n !== undefined && Number.isInteger(n) && n >= 0 && n <= 1000 ? n : null;
    return {
      stallId: v.stallId,
      phase: v.phase,
      sessionId: v.sessionId,
      powerW: whole(v.powerW),
      sessionEnergyWh: begin ? whole(v.registerWh - begin.registerWh) : 0,
      grantedW: whole(grantedW),
      socPermille: permille(acceptance?.socPermille),
      targetPermille: permille(acceptance?.targetPermille),
    };
  });
}
