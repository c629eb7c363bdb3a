import type {
  ChargerAnswer,
  PlanRecordContract,
  SiteOverview,
  StallChargersResponse,
} from "@chargemesh/shared-model/contracts";
import { kW, kWh, phaseLabel } from "../format.js";
import type { PendingAction } from "./ConfirmDialog.js";

const bindingText: Record<string, string> = {
  no_demand: "no demand",
  out_of_contact: "out of contact: reserved",
  car_acceptance: "car takes all it wants",
  stall_max: "at stall maximum",
  measured_draw: "car draws less",
  node_limit: "sharing the limit",
  minimum_unavailable: "waits: minimum does not fit",
};

/** The OCPP charger behind each stall that has one, by stall ID. */
export type StallChargers = ReadonlyMap<string, StallChargersResponse["stalls"][number]>;

const answerText: Record<ChargerAnswer["status"], string> = {
  Accepted: "accepted",
  Scheduled: "scheduled: done when its charge ends",
  Rejected: "REFUSED by the charger",
  not_connected: "charger offline: sent when it reconnects",
  failed: "no answer from the charger",
};

/** The charger's answer as a sentence for the technician (none for a simulated stall). */
export function chargerOutcome(charger: ChargerAnswer | null | undefined): string | undefined {
  if (!charger) return undefined;
  return `charger ${charger.chargerId}: ${answerText[charger.status]}${charger.message ? ` (${charger.message})` : ""}`;
}

/** Every stall: state, power against setpoint, car, session, faults; technician actions when signed in. */
export function StallGrid(props: {
  site: SiteOverview;
  plan: PlanRecordContract | null;
  signedIn: boolean;
  ask: (a: PendingAction) => void;
  /** The stalls' OCPP chargers (technicians); absent or empty: no charger actions. */
  chargers?: StallChargers;
  act: {
    stop(stallId: string, note: string): Promise<unknown>;
    outOfService(stallId: string, out: boolean, note: string): Promise<{ charger?: ChargerAnswer | null }>;
    restartCharger(
      stallId: string,
      type: "OnIdle" | "Immediate",
      note: string,
    ): Promise<{ charger: ChargerAnswer }>;
  };
}) {
  const setpoints = new Map((props.plan?.plan.setpoints ?? []).map((s) => [s.stallId, s]));
  return (
    <div className="stall-grid">
      {props.site.stalls.map((s) => {
        const sp = setpoints.get(s.stallId);
        const setpointW = s.setpointW ?? sp?.setpointW ?? 0;
        const share = setpointW > 0 ? Math.min(1, s.powerW / setpointW) : 0;
        const charger = props.signedIn ? props.chargers?.get(s.stallId) : undefined;
        return (
          <section
            key={s.stallId}
            className={`stall phase-${s.phase}${s.meterFault ? " faulted" : ""}`}
            aria-label={`stall ${s.stallId}`}
          >
            <header>
              <h3>{s.stallId}</h3>
              <span className="phase">{phaseLabel[s.phase] ?? s.phase}</span>
            </header>
            <div className="power">
              <strong>{kW(s.powerW)}</strong> <span>of {kW(setpointW)}</span>
            </div>
            <div className="bar" aria-hidden="true">
              <div style={{ width: `${Math.round(share * 100)}%` }} />
            </div>
            {sp && <p className="reason">Plan: {bindingText[sp.binding] ?? sp.binding}</p>}
            {s.contractId && <p className="car">Car: {s.contractId}</p>}
            {s.sessionId && (
              <p className="session">
                Session …{s.sessionId.slice(-6)} · {kWh(s.sessionEnergyWh ?? 0)}
              </p>
            )}
            {s.meterFault && <p className="fault">Meter fault: {s.meterFault}</p>}
            {charger && (
              <p className="charger">
                Charger {charger.chargerId} · {charger.connected ? "connected" : "offline"}
                {charger.availabilityPending ? " · availability not yet confirmed" : ""}
              </p>
            )}
            {props.signedIn && (
              <div className="stall-actions">
                {s.sessionId && (
                  <button
                    className="big danger"
                    onClick={() =>
                      props.ask({
                        title: `Stop the session on ${s.stallId}?`,
                        detail: "The car stops charging now; the session ends with a signed end record.",
                        confirmLabel: "Stop session",
                        run: async (note) => void (await props.act.stop(s.stallId, note)),
                      })
                    }
                  >
                    Stop session
                  </button>
                )}
                {s.phase === "out_of_service" ? (
                  <button
                    className="big primary"
                    onClick={() =>
                      props.ask({
                        title: `Return ${s.stallId} to service?`,
                        detail: "The stall takes cars again and shares the site's power.",
                        confirmLabel: "Return to service",
                        run: async (note) =>
                          chargerOutcome((await props.act.outOfService(s.stallId, false, note)).charger),
                      })
                    }
                  >
                    Return to service
                  </button>
                ) : (
                  <button
                    className="big secondary"
                    onClick={() =>
                      props.ask({
                        title: `Take ${s.stallId} out of service?`,
                        detail:
                          "A running session is stopped; the stall takes no car until returned. Its power goes to the other stalls.",
                        confirmLabel: "Take out of service",
                        run: async (note) =>
                          chargerOutcome((await props.act.outOfService(s.stallId, true, note)).charger),
                      })
                    }
                  >
                    Out of service
                  </button>
                )}
                {charger && (
                  <button
                    className="big secondary"
                    onClick={() =>
                      props.ask({
                        title: `Restart charger ${charger.chargerId}?`,
                        detail: `The whole charger reboots (every stall it drives). "When idle" waits for a running charge to end; "Restart now" stops it.${charger.connected ? "" : " The charger is offline now: it cannot hear the restart."}`,
                        confirmLabel: "Restart when idle",
                        run: async (note) =>
                          chargerOutcome((await props.act.restartCharger(s.stallId, "OnIdle", note)).charger),
                        alternative: {
                          label: "Restart now",
                          run: async (note) =>
                            chargerOutcome(
                              (await props.act.restartCharger(s.stallId, "Immediate", note)).charger,
                            ),
                        },
                      })
                    }
                  >
                    Restart charger
                  </button>
                )}
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
