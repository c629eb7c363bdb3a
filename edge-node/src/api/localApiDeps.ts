import type { Registry } from "prom-client";
import type { Clock, SiteId, StallId, TechnicianId } from "@chargemesh/shared-model";
import type { ChargerAnswer, StallChargersResponse, SyncState } from "@chargemesh/shared-model/contracts";
import type { PlanRecord } from "../power/powerManagerTypes.js";
import type { SessionOrchestrator, StallHardware } from "../session/sessionOrchestrator.js";
import type { SessionJournal } from "../session/sessionJournal.js";
import type { LocalApiLimits } from "./apiLimits.js";
import type { SessionTokenCheck } from "./callerIdentity.js";
import type { SessionLedgerSource } from "./sessionLedger.js";
import type { IntegrityReport, RevocationStatus } from "./siteAlarms.js";
import type { SiteLimitControl } from "./siteLimitControl.js";
import type { OcppChargerSource } from "./siteDiagnostics.js";

/** The OCPP chargers behind the site's stalls and the technician's commands to them (OcppSite.remote). */
export interface StallChargers {
  /** The stalls driven by an OCPP EVSE, with connection and wanted availability. */
  chargers(): StallChargersResponse["stalls"];
  hasCharger(stallId: StallId): boolean;
  /** ChangeAvailability of the stall's EVSE, remembered until accepted; null: no OCPP charger. */
  setAvailability(stallId: StallId, operative: boolean, by: TechnicianId): Promise<ChargerAnswer | null>;
  /** Reset of the stall's charger; null: no OCPP charger. */
  reset(stallId: StallId, type: "OnIdle" | "Immediate", by: TechnicianId): Promise<ChargerAnswer | null>;
}

/** Everything the local API reads and acts on. Optional parts switch endpoints or alarms on. */
export interface LocalApiDeps {
  readonly siteId: SiteId;
  /** The site's clock (virtual in simulation): times shown and recorded. */
  readonly clock: Clock;
  /** The site limit configured at start, W (shown while no site limit control is given). */
  readonly gridLimitW: () => number;
  readonly orchestrator: SessionOrchestrator;
  readonly journal: SessionJournal;
  readonly technicians: readonly { readonly id: TechnicianId; readonly tokenSha256: string }[];
  readonly checkSessionToken: SessionTokenCheck | null;
  /** The power plan in force, or null before the first. */
  readonly currentPlan: () => PlanRecord | null;
  readonly metrics: Registry;
  /** Every plan as the power manager publishes it (live feed); absent, the feed carries no plans. */
  readonly onPlan?: (listener: (plan: PlanRecord) => void) => () => void;
  /** The stalls' hardware: setpoints in stall views, and the diagnostics page. */
  readonly hardware?: readonly StallHardware[];
  /** Hardware parts that are simulated (named on the diagnostics page), e.g. ["power stages", "vehicle links"]. */
  readonly simulated?: readonly string[];
  /** The OCPP chargers of the site's OCPP server and whether each is connected (diagnostics); absent: none. */
  readonly ocppChargers?: OcppChargerSource;
  /** The stalls' OCPP chargers: out of service reaches them (ChangeAvailability), restart-charger (Reset); absent: none. */
  readonly chargers?: StallChargers;
  /** Lets technicians change the site limit within bounds; absent, POST /api/site/limit is refused. */
  readonly siteLimit?: SiteLimitControl;
  /** A session's signed records for verification in the browser; absent, sessions come without them. */
  readonly ledger?: SessionLedgerSource;
  readonly sync?: () => SyncState;
  readonly revocation?: () => RevocationStatus;
  readonly integrity?: () => IntegrityReport;
  /** The built kiosk renderer (kiosk-ui/dist), served at `/`; null or absent: not served. */
  readonly kioskDir?: string | null;
  readonly limits?: Partial<LocalApiLimits>;
  /** Host names (besides IP literals and localhost) the site answers to. */
  readonly allowedHosts?: readonly string[];
  /** Browser origins (besides the site's own) that may open the live feed. */
  readonly allowedOrigins?: readonly string[];
  /** The clock of the failed-credential backoff (default: the system clock; never the virtual site clock). */
  readonly limiterClock?: Clock;
  readonly log?: { warn(o: object, m?: string): void; info(o: object, m?: string): void };
}
