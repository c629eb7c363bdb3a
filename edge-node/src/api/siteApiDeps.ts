import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { verifyRevocationList } from "@chargemesh/shared-model";
import type { Clock, LimitNode, MeterId, Result, TechnicianId } from "@chargemesh/shared-model";
import type { SiteLimitBounds } from "@chargemesh/shared-model/contracts";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { PlanRecord } from "../power/powerManagerTypes.js";
import type { StallHardware } from "../session/sessionOrchestrator.js";
import type { SiteController } from "../siteController.js";
import type { LocalApiDeps, StallChargers } from "./localApiDeps.js";
import type { RevocationStatus } from "./siteAlarms.js";
import { powerSiteLimit } from "./siteLimitControl.js";
import { syncStateSource } from "./syncStateSource.js";
import type { SyncNodeView } from "./syncStateSource.js";
import type { OcppChargerSource } from "./siteDiagnostics.js";

/** The power manager's public methods the API uses. */
export interface ApiPower {
  currentPlan(): PlanRecord | null;
  onPlan(listener: (plan: PlanRecord) => void): () => void;
  setLimits(root: LimitNode, reason?: string): Promise<Result<true>>;
}

export interface SiteApiOptions {
  readonly clock: Clock;
  readonly power: ApiPower;
  readonly hardware: readonly StallHardware[];
  /** Default: the site config's technicians. */
  readonly technicians?: readonly { readonly id: TechnicianId; readonly tokenSha256: string }[];
  /** The bounds of the site limit a technician may set; default 0 W to the configured grid limit. */
  readonly siteLimitBounds?: SiteLimitBounds;
  /** The site's libp2p node and the cloud peers it dials (absent: the site runs without a cloud). */
  readonly sync?: { readonly node: SyncNodeView; readonly cloudPeers: readonly string[] };
  /** Where the site's revocation list comes from, and how long past its next update it stays usable. */
  readonly trust?: {
    revocationList(): { readonly signed: Uint8Array; readonly key: Uint8Array } | null;
    readonly revocationMaxAgeMs: number;
  };
  readonly simulated?: readonly string[];
  /** The site's OCPP chargers (OcppSite.chargers), shown on the diagnostics page. */
  readonly ocppChargers?: OcppChargerSource;
  /** The stalls' OCPP chargers for technician commands (OcppSite.remote); absent: simulated stalls only. */
  readonly chargers?: StallChargers;
  /** Default: `defaultKioskDir()`. */
  readonly kioskDir?: string | null;
  readonly overrides?: Partial<LocalApiDeps>;
}

/** kiosk-ui's build output when it exists (or CHARGEMESH_KIOSK_DIR), else null. A path, not an import. */
export function defaultKioskDir(): string | null {
  const fromEnv = process.env.CHARGEMESH_KIOSK_DIR;
  if (fromEnv) return fromEnv;
  const built = fileURLToPath(new URL("../../../kiosk-ui/dist", import.meta.url));
  return existsSync(built) ? built : null;
}

/**
 * The local API's dependencies for a running site controller: its journal, orchestrator, ledger and
 * certificates, metrics and session tokens, with the power manager's plans and site limit, sync
 * state and revocation status. `close` detaches from the sync node.
 */
export function siteLocalApiDeps(
  controller: SiteController,
  o: SiteApiOptions,
): LocalApiDeps & { close(): void } {
  const { config } = controller;
  const sync = o.sync
    ? syncStateSource(o.sync.node, o.sync.cloudPeers, o.clock, () => controller.site.documentUrls().length)
    : null;
  return {
    siteId: config.siteId,
    clock: o.clock,
    gridLimitW: () => config.gridLimitW,
    orchestrator: controller.orchestrator,
    journal: controller.journal,
    technicians: o.technicians ?? config.technicians,
    checkSessionToken: (t) => controller.checkSessionToken(t),
    currentPlan: () => o.power.currentPlan(),
    onPlan: (l) => o.power.onPlan(l),
    metrics: controller.metrics.registry,
    hardware: o.hardware,
    simulated: o.simulated ?? [],
    ...(o.ocppChargers ? { ocppChargers: o.ocppChargers } : {}),
    ...(o.chargers ? { chargers: o.chargers } : {}),
    siteLimit: powerSiteLimit(
      o.power,
      controller.journal,
      o.clock,
      o.siteLimitBounds ?? { minW: 0, maxW: config.gridLimitW },
      config.gridLimitW,
    ),
    ledger: {
      store: controller.ledgerStore,
      certificates: (m: MeterId) => controller.site.root.doc().meterCertificates[m] ?? [],
      operatorKeys: () => Object.entries(controller.site.root.doc().operatorKeys),
    },
    ...(sync ? { sync } : {}),
    ...(o.trust ? { revocation: revocationStatus(o.trust) } : {}),
    integrity: () => ({
      equivocations: [],
      damagedDocuments: controller.integrity.pending().map((d) => ({
        document: d.documentId,
        file: d.file,
        sinceMs: d.sinceMs,
        reason: d.reason,
        quarantinedAt: d.quarantinedAt,
        lastAttempt: d.lastAttempt,
      })),
    }),
    kioskDir: o.kioskDir === undefined ? defaultKioskDir() : o.kioskDir,
    ...o.overrides,
    close: () => sync?.close(),
  };
}

/** The held revocation list's validity, re-verified only when the list changes. */
function revocationStatus(trust: NonNullable<SiteApiOptions["trust"]>): () => RevocationStatus {
  let last: { signed: Uint8Array; status: RevocationStatus } | null = null;
  return () => {
    const held = trust.revocationList();
    if (!held) return { issuedAtMs: null, staleAfterMs: null };
    if (last?.signed !== held.signed) {
      const v = verifyRevocationList(held.signed, held.key, nodeEd25519);
      const status =
        v.ok && Number.isFinite(v.value.nextUpdateMs)
          ? { issuedAtMs: v.value.issuedAtMs, staleAfterMs: v.value.nextUpdateMs + trust.revocationMaxAgeMs }
          : { issuedAtMs: null, staleAfterMs: null };
      last = { signed: held.signed, status };
    }
    return last.status;
  };
}
