import { Counter } from "prom-client";
import type { StallId, TechnicianId } from "@chargemesh/shared-model";
import type { ChargerAnswer, StallChargersResponse } from "@chargemesh/shared-model/contracts";
import type { AvailabilityStore } from "./ocppAvailabilityStore.js";
import type { OcppEvse } from "./ocppEvse.js";
import type { OcppCallResult } from "./ocppRpcConnection.js";
import type { OcppStation } from "./ocppStation.js";

export type ResetType = "OnIdle" | "Immediate";

export interface OcppRemoteControlDeps {
  readonly store: AvailabilityStore;
  readonly log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
  /** A durable write that failed (the desired availability is kept in memory only). */
  readonly onStoreError: (e: unknown) => void;
}

const STATUSES: ReadonlySet<string> = new Set(["Accepted", "Scheduled", "Rejected"]);

/** A charger's call result as the technician sees it. */
function answerOf(chargerId: string, evseId: number | null, r: OcppCallResult): ChargerAnswer {
  if (!r.ok)
    return r.code === "Closed"
      ? { chargerId, evseId, status: "not_connected", message: r.message.slice(0, 500) }
      : { chargerId, evseId, status: "failed", message: `${r.code}: ${r.message}`.slice(0, 500) };
  const status = String(r.payload.status);
  return STATUSES.has(status)
    ? { chargerId, evseId, status: status as ChargerAnswer["status"] }
    : { chargerId, evseId, status: "failed", message: `unexpected status ${status.slice(0, 64)}` };
}

/**
 * The technician's remote commands to a stall's OCPP charger: ChangeAvailability of its EVSE (out
 * of service: Inoperative; back: Operative) and Reset of its station. The availability the site
 * wants is remembered per EVSE (durable in site.sqlite when the site has a data directory) until
 * the charger accepts it: a charger that is away, or refused, gets it at its next connection, and
 * an out-of-service EVSE is told Inoperative again at every connection. Never throws at the caller:
 * every outcome is a `ChargerAnswer`, logged and counted.
 */
export class OcppRemoteControl {
  /** Commands sent to chargers by command and outcome. */
  readonly commands = new Counter({
    name: "chargemesh_ocpp_remote_commands_total",
    help: "Technician commands to OCPP chargers (ChangeAvailability, Reset) by outcome",
    labelNames: ["command", "status"],
    registers: [],
  });

  constructor(
    private readonly evses: ReadonlyMap<StallId, OcppEvse>,
    private readonly stations: ReadonlyMap<string, OcppStation>,
    private readonly deps: OcppRemoteControlDeps,
  ) {}

  /** The stalls driven by an OCPP EVSE: charger, connection, and the availability the site wants. */
  chargers(): StallChargersResponse["stalls"] {
    return [...this.evses].map(([stallId, e]) => {
      const { stationId, evseId } = e.config;
      const desired = this.deps.store.get(stationId, evseId);
      return {
        stallId,
        chargerId: stationId,
        evseId,
        connected: this.stations.get(stationId)?.connected() ?? false,
        operative: desired?.operative ?? true,
        availabilityPending: desired ? !desired.acknowledged : false,
      };
    });
  }

  /** Whether `stallId` is driven by an OCPP charger. */
  hasCharger(stallId: StallId): boolean {
    return this.evses.has(stallId);
  }

  /**
   * Remembers the availability the site wants for the stall's EVSE and sends ChangeAvailability
   * when its charger is connected; resolves with the charger's answer (`not_connected`: it is sent
   * at the next connection), or null for a stall without an OCPP charger.
   */
  async setAvailability(
    stallId: StallId,
    operative: boolean,
    by: TechnicianId | null = null,
  ): Promise<ChargerAnswer | null> {
    const evse = this.evses.get(stallId);
    if (!evse) return null;
    const { stationId, evseId } = evse.config;
    this.remember(stationId, evseId, { operative, acknowledged: false });
    const answer = await this.sendAvailability(stationId, evseId, operative);
    this.deps.log.info(
      { stall: stallId, station: stationId, evse: evseId, operative, technician: by, ...answer },
      "technician availability change sent to the charger",
    );
    return answer;
  }

  /**
   * Reset of the station that drives `stallId` (all its EVSEs): OnIdle waits for running
   * transactions, Immediate stops them. Resolves with the charger's answer (never queued when it is
   * away), or null for a stall without an OCPP charger.
   */
  async reset(
    stallId: StallId,
    type: ResetType,
    by: TechnicianId | null = null,
  ): Promise<ChargerAnswer | null> {
    const evse = this.evses.get(stallId);
    if (!evse) return null;
    const stationId = evse.config.stationId;
    const station = this.stations.get(stationId);
    const r: OcppCallResult = station
      ? await station.reset(type)
      : { ok: false, code: "Closed", message: `station ${stationId} is not configured` };
    const answer = answerOf(stationId, null, r);
    this.commands.inc({ command: "Reset", status: answer.status });
    this.deps.log.info(
      { stall: stallId, station: stationId, type, technician: by, ...answer },
      "technician reset sent to the charger",
    );
    return answer;
  }

  /**
   * After the site starts: the journal's out-of-service flags are the truth. An OCPP stall out of
   * service whose EVSE is not remembered Inoperative becomes so (to be sent), and one in service
   * remembered Inoperative becomes Operative (to be sent); connected chargers are told now.
   */
  reconcile(outOfService: (stallId: StallId) => boolean): void {
    for (const [stallId, evse] of this.evses) {
      const { stationId, evseId } = evse.config;
      const out = outOfService(stallId);
      const desired = this.deps.store.get(stationId, evseId);
      if (out ? desired?.operative === false : desired === undefined || desired.operative) continue;
      this.remember(stationId, evseId, { operative: !out, acknowledged: false });
      if (this.stations.get(stationId)?.connected()) void this.sendAvailability(stationId, evseId, !out);
    }
  }

  /**
   * A station (re)connected: every EVSE the site wants Inoperative is told so again, and an
   * Operative the charger has not accepted yet is sent. Resolves once the charger answered.
   */
  async onStationOnline(stationId: string): Promise<void> {
    const station = this.stations.get(stationId);
    if (!station) return;
    for (const evseId of station.evses.keys()) {
      const desired = this.deps.store.get(stationId, evseId);
      if (!desired || (desired.operative && desired.acknowledged)) continue;
      const answer = await this.sendAvailability(stationId, evseId, desired.operative);
      this.deps.log.info(
        { station: stationId, evse: evseId, operative: desired.operative, ...answer },
        "remembered availability sent to the reconnected charger",
      );
    }
  }

  private async sendAvailability(
    stationId: string,
    evseId: number,
    operative: boolean,
  ): Promise<ChargerAnswer> {
    const station = this.stations.get(stationId);
    const r: OcppCallResult = station
      ? await station.changeAvailability(evseId, operative)
      : { ok: false, code: "Closed", message: `station ${stationId} is not configured` };
    const answer = answerOf(stationId, evseId, r);
    this.commands.inc({ command: "ChangeAvailability", status: answer.status });
    // Acknowledged only when what the charger accepted is still what the site wants.
    const now = this.deps.store.get(stationId, evseId);
    if ((answer.status === "Accepted" || answer.status === "Scheduled") && now?.operative === operative)
      this.remember(stationId, evseId, { operative, acknowledged: true });
    if (answer.status === "Rejected" || answer.status === "failed")
      this.deps.log.warn(
        { station: stationId, evse: evseId, operative, ...answer },
        "charger did not accept the availability change; retried at its next connection",
      );
    return answer;
  }

  private remember(
    stationId: string,
    evseId: number,
    desired: { operative: boolean; acknowledged: boolean },
  ): void {
    try {
      this.deps.store.set(stationId, evseId, desired);
    } catch (e) {
      this.deps.onStoreError(e);
    }
  }
}
