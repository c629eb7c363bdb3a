import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import {
  SeededRandom,
  VirtualClock,
  contractId as toContractId,
  signRevocationList,
  verifyChains,
} from "@chargemesh/shared-model";
import type { ChainReport, ContractId, StallId } from "@chargemesh/shared-model";
import { SimSecureElement } from "@chargemesh/hal";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import {
  CertificateAuthorizer,
  PowerManager,
  SiteController,
  VirtualScheduler,
  localOperatorCertifier,
  parseSiteConfig,
  OcppSite,
} from "@chargemesh/edge-node";
import type { TrustStore } from "@chargemesh/edge-node";
import { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";
import type { TestPki } from "./ocppTestPki.js";
import type { OcppTotalCost } from "@chargemesh/edge-node";

export const NOW = Date.UTC(2026, 11, 1, 8);
const REVOCATION_SEED = new Uint8Array(32).fill(7);
const OPERATOR_SEED = new Uint8Array(32).fill(5);

export interface StationSetup {
  readonly stationId: string;
  readonly maxW: number;
  readonly safeLimitW: number;
  readonly ocmfPublicKey?: Uint8Array;
}

export interface TestSiteOptions {
  readonly pki: TestPki;
  readonly gridLimitW: number;
  readonly stations: readonly StationSetup[];
  readonly standing: Record<string, "good" | "blocked">;
  readonly dataDir?: string;
  readonly clock?: VirtualClock;
  /** The total cost Ended transactions are answered with (absent: none). */
  readonly totalCost?: OcppTotalCost;
}

/** A test site on virtual time: a SiteController whose stalls are OCPP EVSEs, the certificate authorizer, the power manager. */
export class OcppTestSite {
  private constructor(
    readonly clock: VirtualClock,
    readonly scheduler: VirtualScheduler,
    readonly ocpp: OcppSite,
    readonly controller: SiteController,
    readonly power: PowerManager,
    readonly dataDir: string,
    readonly trust: {
      revoked: Set<string>;
      standing: Record<string, "good" | "blocked">;
      lastContactMs: number;
    },
    private ownsDir: boolean,
  ) {}

  private stopped = false;

  static async start(o: TestSiteOptions): Promise<OcppTestSite> {
    const clock = o.clock ?? new VirtualClock(NOW);
    const ownsDir = true;
    const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), "cm-ocpp-"));
    const log = pino({ level: process.env.OCPP_TEST_LOG ?? "silent" });
    const config = parseSiteConfig({
      siteId: "ocpp-site",
      dataDir,
      gridLimitW: o.gridLimitW,
      stalls: o.stations.map((s, i) => ({
        id: `s${i + 1}`,
        meterId: `meter-${s.stationId}`,
        maxW: s.maxW,
        minW: 0,
        safeLimitW: s.safeLimitW,
      })),
    });
    const trust = { revoked: new Set<string>(), standing: o.standing, lastContactMs: NOW };
    const crl = () =>
      signRevocationList(
        {
          issuedAtMs: trust.lastContactMs,
          nextUpdateMs: trust.lastContactMs + 86_400_000,
          revoked: trust.revoked,
        },
        REVOCATION_SEED,
        nodeEd25519,
      );
    let controller: SiteController | null = null;
    const store: TrustStore = {
      trustAnchors: () => [o.pki.rootDer],
      revocationList: () => ({ signed: crl(), key: nodeEd25519.publicKey(REVOCATION_SEED) }),
      standing: (c: ContractId) => trust.standing[c],
      lastCloudContactMs: () => trust.lastContactMs,
      regionFailed: () => false,
      sessionsToday: (c: ContractId) => controller?.orchestrator.sessionsToday(c) ?? 0,
    };
    const authorizer = new CertificateAuthorizer(store, {
      offlineAfterMs: 15 * 60_000,
      revocationMaxAgeMs: 7 * 86_400_000,
      unknownContractCaps: { maxEnergyWh: 5_000 },
      unknownContractMaxSessionsPerDay: 1,
      regionFailedCaps: { maxEnergyWh: 10_000 },
    });
    const ocpp = await OcppSite.start({
      host: "localhost",
      port: 0,
      securityProfile: 2,
      tls: o.pki.server,
      heartbeatIntervalS: 300,
      stations: o.stations.map((s, i) => ({
        id: s.stationId,
        passwordSha256: passwordSha256(s.stationId),
        evses: [{ evseId: 1, stall: `s${i + 1}`, reactionDelayMs: 0 }],
      })),
      stalls: config.stalls,
      localList: { standing: () => trust.standing, revokedFingerprints: () => trust.revoked },
      ...(o.totalCost ? { totalCost: o.totalCost } : {}),
      clock,
      log,
      firstMessageWaitMs: 50,
      // The CSMS keeps its transaction log, chain cache and list versions in the site's site.sqlite.
      dataDir,
    });
    const scheduler = new VirtualScheduler(clock);
    let power!: PowerManager;
    const payloadKeys = new Map(o.stations.map((s) => [`meter-${s.stationId}`, s.ocmfPublicKey ?? null]));
    controller = await SiteController.start({
      config,
      clock,
      random: new SeededRandom(11),
      hardware: config.stalls.map((s) => ({ config: s, ...ocpp.hardwareFor(s.id)! })),
      authorizer,
      secureElement: new SimSecureElement(join(dataDir, "secure-element.json")),
      power: (hw) =>
        (power = new PowerManager({
          clock,
          scheduler,
          limits: { id: "site", limitW: o.gridLimitW },
          stalls: hw.map((h) => ({
            stallId: h.config.id,
            nodeId: "site",
            stage: h.stage,
            safeLimitW: h.config.safeLimitW,
            acceptanceW: () => null,
          })),
          ackTimeoutMs: () => 120_000,
        })),
      certifyMeter: localOperatorCertifier(
        "op",
        OPERATOR_SEED,
        nodeEd25519,
        clock,
        (m) => payloadKeys.get(m) ?? null,
      ),
      log,
    });
    ocpp.bindOrchestrator(controller.orchestrator, controller.metrics.registry);
    void power.start();
    return new OcppTestSite(clock, scheduler, ocpp, controller, power, dataDir, trust, ownsDir);
  }

  /** A simulated charger for station `i`, connected to this site with its Basic-auth password. */
  charger(
    pki: TestPki,
    station: StationSetup,
    extra: { ocmfSecretKey?: Uint8Array; initialRegisterWh?: number; reactionDelayMs?: number } = {},
  ): SimulatedOcppCharger {
    return new SimulatedOcppCharger({
      url: this.ocpp.url,
      stationId: station.stationId,
      password: passwordOf(station.stationId),
      tls: { ca: pki.rootPem },
      clock: this.clock,
      hardwareMaxW: station.maxW,
      meterIntervalMs: 60_000,
      ...extra,
    });
  }

  /**
   * Lets real network traffic and the control loop settle without moving time: ticks the site and
   * fires due timers until no OCPP call is in flight for a few rounds in a row.
   */
  async settle(chargers: readonly SimulatedOcppCharger[] = []): Promise<void> {
    let quiet = 0;
    for (let round = 0; round < 4_000 && quiet < 3; round++) {
      this.scheduler.fireDue();
      await this.controller.tick();
      await new Promise((r) => setTimeout(r, 2));
      const busy = this.ocpp.busy() + chargers.reduce((n, c) => n + (c.isOnline() ? c.queuedEvents() : 0), 0);
      quiet = busy === 0 ? quiet + 1 : 0;
    }
    if (quiet < 3) throw new Error("site did not settle");
  }

  /** Moves virtual time by `ms` in steps of `stepMs`: chargers draw and report, the site ticks. Calls `each` after every step. */
  async run(
    ms: number,
    stepMs: number,
    chargers: readonly SimulatedOcppCharger[],
    each?: () => void,
  ): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.advance(stepMs);
      for (const c of chargers) await c.advance(stepMs);
      await this.settle(chargers);
      each?.();
    }
  }

  /** The site's signed ledger, verified by shared-model's chain verifier. */
  verifyLedger(): ChainReport {
    const root = this.controller.site.root.doc();
    const certificates = Object.values(root.meterCertificates).flat();
    const records = [...this.controller.ledgerStore.meters()].flatMap((m) => [
      ...this.controller.ledgerStore.records(m),
    ]);
    return verifyChains(
      { certificates, operatorKeys: new Map([["op", nodeEd25519.publicKey(OPERATOR_SEED)]]), records },
      nodeEd25519,
    );
  }

  sessions() {
    return this.controller.journal.recent(1_000);
  }

  /** Stops the site; with `keepData` its data directory stays for a restart (the next site owns it then). */
  async stop(keepData = false): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.power.close();
    await this.ocpp.close();
    await this.controller.stop();
    if (keepData) this.ownsDir = false;
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const passwordOf = (stationId: string): string => `pw-${stationId}-0123456789abcdef`;
export function passwordSha256(stationId: string): string {
  return createHash("sha256").update(passwordOf(stationId)).digest("hex");
}
import { createHash } from "node:crypto";

export const emaid = (n: number): ContractId => toContractId(`DE-CMS-C${String(n).padStart(8, "0")}-1`);
export type { StallId };
