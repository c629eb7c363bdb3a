import type { DiagnosticsResponse } from "@chargemesh/shared-model/contracts";
import type { StallHardware, StallView } from "../session/sessionOrchestrator.js";

/** One OCPP charger on the diagnostics page (the local API contract's own shape). */
export type OcppChargerStatus = DiagnosticsResponse["ocppChargers"][number];
/** The site's OCPP chargers now (OcppSite.chargers). */
export type OcppChargerSource = () => readonly OcppChargerStatus[];

const whole = (n: number) => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/**
 * The hardware diagnostics page: each stall's power stage (state, limits, draw, reaction delay) and
 * meter, the serial ports of Modbus meters, and which hardware is simulated (simulated meters, and
 * the parts the caller names), and the OCPP chargers of the site's OCPP server with whether each is
 * connected (none without one). Never throws on a stage or charger list that fails to report.
 */
export function siteDiagnostics(
  hardware: readonly StallHardware[],
  views: readonly StallView[],
  simulatedParts: readonly string[],
  ocppChargers: OcppChargerSource = () => [],
): DiagnosticsResponse {
  const viewOf = new Map(views.map((v) => [v.stallId as string, v]));
  const ports = new Map<string, string[]>();
  const simulated = new Set<string>(simulatedParts);
  const stalls = hardware.map((h) => {
    if (h.config.meter.kind === "sdm630")
      ports.set(h.config.meter.path, [...(ports.get(h.config.meter.path) ?? []), h.config.meterId]);
    else simulated.add("meters");
    let status = { state: "unreachable", appliedLimitW: 0, requestedLimitW: 0, measuredW: 0 };
    try {
      status = h.stage.status();
    } catch {
      // a stage that cannot report shows as unreachable
    }
    const v = viewOf.get(h.config.id);
    return {
      stallId: h.config.id,
      meterId: h.config.meterId,
      stage: {
        state: status.state,
        appliedLimitW: whole(status.appliedLimitW),
        requestedLimitW: whole(status.requestedLimitW),
        measuredW: whole(status.measuredW),
        maxW: whole(h.stage.maxW),
        minW: whole(h.stage.minW),
        reactionDelayMs: whole(h.stage.reactionDelayMs),
      },
      meterFault: v?.meterFault ?? null,
      registerWh: whole(v?.registerWh ?? 0),
    };
  });
  return {
    stalls,
    serialPorts: [...ports].map(([path, meters]) => ({ path, meters })),
    simulated: [...simulated],
    ocppChargers: chargersOf(ocppChargers),
  };
}

function chargersOf(list: OcppChargerSource): OcppChargerStatus[] {
  try {
    return list()
      .slice(0, 512)
      .map((c) => ({ chargerId: c.chargerId, connected: c.connected }));
  } catch {
    return [];
  }
}
