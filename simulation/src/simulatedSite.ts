import { existsSync, readFileSync, renameSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { SeededRandom, VirtualClock, cryptoRandom } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";
import { SimStall } from "@chargemesh/hal";
import { SimVehicle } from "@chargemesh/hal";
import { SimSecureElement } from "@chargemesh/hal";
import { parseSiteConfig } from "@chargemesh/edge-node";
import type { SiteConfig } from "@chargemesh/edge-node";
import { SiteController } from "@chargemesh/edge-node";
import type { SiteControllerOptions } from "@chargemesh/edge-node";
import {
  CertificateAuthorizer,
  ConfigDocTrustStore,
  SiteConfigDocument,
  offlinePolicyOf,
} from "@chargemesh/edge-node";
import { PowerManager } from "@chargemesh/edge-node";
import { VirtualScheduler } from "@chargemesh/edge-node";
import { runVirtual } from "@chargemesh/edge-node";
import { localOperatorCertifier } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { issueSimContracts } from "./simContracts.js";
import { provisionSimSite } from "./simProvisioning.js";
import { SimCloudConfig } from "./simCloudConfig.js";
import type { SimContract } from "./simContracts.js";
import { planArrivals } from "./arrivalPlan.js";
import type { CarVisit } from "./arrivalPlan.js";
import { SimOcppStalls } from "./ocpp/simOcppStalls.js";
import type { StallDrivers } from "./ocpp/simOcppStalls.js";

export interface SimulatedSiteOptions {
  readonly siteId: string;
  readonly dataDir: string;
  readonly stalls: number;
  readonly vehicles: number;
  readonly seed: number;
  /** No cloud contact at all: the site authorizes from its cached allowlist (offline policy). */
  readonly offline: boolean;
  /** Every n-th contract is blocked in the allowlist (0: none), to show refusals. */
  readonly blockEvery?: number;
  readonly startMs: number;
  /** Arrivals spread over this window. */
  readonly windowMs: number;
  readonly log: Logger;
  /** Per simulated step (1 s): lets a caller pace the run to the wall clock or stop it. */
  readonly onStep?: (nowMs: number) => void | Promise<void>;
  /** Sync the site's documents with cloud peers over libp2p. */
  readonly sync?: SiteControllerOptions["sync"];
  /**
   * The last n stalls are served by simulated OCPP 2.0.1 chargers connected over real WebSockets to
   * the site's own OCPP server (security profile 2 on localhost with a throwaway lab CA); the rest
   * are hal's simulated stalls. Default 0.
   */
  readonly ocppStalls?: number;
}

export interface SimulationSummary {
  readonly arrived: number;
  readonly served: number;
  readonly turnedAway: number;
  readonly sessions: {
    readonly completed: number;
    readonly rejected: number;
    readonly failed: number;
    readonly open: number;
  };
  readonly energyWh: number;
  readonly simulatedMs: number;
}

const STALL_MAX_W = 150_000;
const REACTION_DELAY_MS = 800;
const OCPP_REACTION_DELAY_MS = 1_000;
const STEP_MS = 1_000;
const MAX_WAIT_MS = 10 * 60_000;

/**
 * A whole site in simulation: stalls with taper-curve cars, meters and power stages with reaction
 * delays (hal simulators), the real SiteController, PowerManager and stores, driven on virtual time
 * through a seeded day of arrivals. Meter registers and meter keys persist in `dataDir`, as the
 * physical meters and the secure element would, so a killed run continues correctly when restarted.
 */
export class SimulatedSite {
  readonly clock: VirtualClock;
  private readonly scheduler: VirtualScheduler;
  private readonly queue: CarVisit[];
  private readonly waiting: CarVisit[] = [];
  private readonly atStall = new Map<number, { visit: CarVisit; idleSinceMs: number | null }>();
  private arrived = 0;
  private served = 0;
  private turnedAway = 0;
  /** The stall the next driver looks at first (drivers spread over the free stalls). */
  private nextStall = 0;

  private constructor(
    readonly opts: SimulatedSiteOptions,
    readonly config: SiteConfig,
    readonly controller: SiteController,
    readonly power: PowerManager,
    /** hal's simulated stalls: `stalls[i]` is `config.stalls[i]` (the OCPP stalls, if any, come after them). */
    readonly stalls: readonly SimStall[],
    /** Every stall's hal drivers, in `config.stalls` order (simulated stalls, then OCPP EVSEs). */
    readonly hardware: readonly StallDrivers[],
    /** The OCPP server and chargers of the OCPP stalls (null without any). */
    readonly ocpp: SimOcppStalls | null,
    readonly contracts: readonly SimContract[],
    clock: VirtualClock,
    scheduler: VirtualScheduler,
  ) {
    this.clock = clock;
    this.scheduler = scheduler;
    // After a restart the cars that arrived before the crash are gone: the plan resumes from now.
    this.queue = planArrivals({
      vehicles: opts.vehicles,
      startMs: opts.startMs,
      windowMs: opts.windowMs,
      contracts: contracts.length,
      seed: opts.seed,
    }).filter((v) => v.arriveAtMs > clock.now());
  }

  /** Builds (or reopens) the site in `opts.dataDir`. */
  static async create(opts: SimulatedSiteOptions): Promise<SimulatedSite> {
    mkdirSync(opts.dataDir, { recursive: true });
    const state = readSimState(opts.dataDir);
    const clock = new VirtualClock(Math.max(opts.startMs, state.clockMs));
    const scheduler = new VirtualScheduler(clock);
    const gridLimitW = Math.floor((opts.stalls * STALL_MAX_W * 2) / 5);
    const config = parseSiteConfig({
      siteId: opts.siteId,
      dataDir: join(opts.dataDir, "store"),
      gridLimitW,
      checkpointIntervalMs: 60_000,
      stalls: Array.from({ length: opts.stalls }, (_, i) => ({
        id: `stall-${i + 1}`,
        meterId: `meter-${i + 1}`,
        maxW: STALL_MAX_W,
        minW: 5_000,
        safeLimitW: 10_000,
      })),
    });
    const ocppCount = Math.max(0, Math.min(opts.ocppStalls ?? 0, config.stalls.length));
    const simCount = config.stalls.length - ocppCount;
    const stalls = config.stalls.slice(0, simCount).map(
      (s) =>
        new SimStall(
          {
            meterId: s.meterId,
            maxW: s.maxW,
            minW: s.minW,
            reactionDelayMs: REACTION_DELAY_MS,
            startRegisterWh: state.registers[s.meterId] ?? 0,
          },
          clock,
        ),
    );
    const pki = await issueSimContracts(Math.max(4, Math.ceil(opts.vehicles / 3)), opts.startMs);
    const contracts = pki.contracts;
    const standing = new Map<ContractId, "good" | "blocked">(
      contracts.map((c, i) => [
        c.contractId,
        opts.blockEvery && i % opts.blockEvery === opts.blockEvery - 1 ? "blocked" : "good",
      ]),
    );
    const provisioning = provisionSimSite(opts.dataDir, opts.siteId);
    const cloudConfig = new SimCloudConfig(pki.rootDer, standing, provisioning.revocationSeed, clock, {
      unknownContractMaxEnergyWh: config.offlinePolicy.unknownContractMaxEnergyWh,
      unknownContractMaxSessionsPerDay: config.offlinePolicy.unknownContractMaxSessionsPerDay,
    });
    const configDocument = new SiteConfigDocument((issues) =>
      opts.log.error({ issues }, "config document refused: invalid"),
    );
    configDocument.provision(cloudConfig.current());
    const ocpp =
      ocppCount > 0
        ? await SimOcppStalls.start({
            siteId: opts.siteId,
            config,
            stalls: config.stalls.slice(simCount),
            clock,
            configDocument,
            revocationPublicKey: provisioning.keys.revocationPublicKey,
            reactionDelayMs: OCPP_REACTION_DELAY_MS,
            log: opts.log,
          })
        : null;
    const hardware: StallDrivers[] = config.stalls.map((_, i) =>
      i < simCount ? stalls[i]! : ocpp!.drivers(i - simCount),
    );
    const ocppStages = new Set(hardware.slice(simCount).map((h) => h.stage));
    let controllerRef: SiteController | null = null;
    const trust = new ConfigDocTrustStore(
      configDocument,
      provisioning.keys.revocationPublicKey,
      // Offline: never heard from the cloud. Otherwise the cloud that provisioned the document is in contact.
      () =>
        opts.offline
          ? 0
          : opts.sync
            ? Math.max(controllerRef?.lastCloudContactMs() ?? 0, configDocument.attached() ? 0 : clock.now())
            : clock.now(),
      (c) => controllerRef?.orchestrator.sessionsToday(c) ?? 0,
    );
    let power!: PowerManager;
    const controller = await SiteController.start({
      config,
      clock,
      // Session IDs and challenges must never repeat, also across a restart: real randomness even in simulation.
      random: cryptoRandom,
      hardware: config.stalls.map((c, i) => ({ config: c, ...hardware[i]! })),
      authorizer: new CertificateAuthorizer(trust, offlinePolicyOf(config)),
      configDocument,
      secureElement: new SimSecureElement(join(opts.dataDir, "site-secure-element.json")),
      power: (hw) =>
        (power = new PowerManager({
          clock,
          scheduler,
          limits: { id: "site", limitW: gridLimitW },
          stalls: hw.map((h) => ({
            stallId: h.config.id,
            nodeId: "site",
            stage: h.stage,
            safeLimitW: h.config.safeLimitW,
            acceptanceW: () => h.link.acceptance()?.maxPowerW ?? null,
          })),
          // A charging profile travels over the network and the charger answers after applying it:
          // OCPP stages get longer to confirm; simulated stages keep the manager's default.
          ackTimeoutMs: (stage) =>
            ocppStages.has(stage) ? 30_000 : stage.reactionDelayMs + Math.max(1_000, stage.reactionDelayMs),
          log: opts.log,
        })),
      certifyMeter: localOperatorCertifier(
        provisioning.keys.meterOperatorKeyId,
        provisioning.keys.meterOperatorSeed,
        nodeEd25519,
        clock,
        (meterId) => ocpp?.ocmfPublicKeyOf(meterId) ?? null,
      ),
      log: opts.log,
      ...(opts.sync ? { sync: opts.sync } : {}),
    });
    controllerRef = controller;
    for (const [i, s] of stalls.entries())
      s.meter.ensureAtLeast(controller.ledger.lastRegisterWh(config.stalls[i]!.meterId));
    if (ocpp) {
      ocpp.site.bindOrchestrator(controller.orchestrator, controller.metrics.registry);
      try {
        await ocpp.connect((meterId) =>
          Math.max(state.registers[meterId] ?? 0, controller.ledger.lastRegisterWh(meterId)),
        );
      } catch (e) {
        // A charger that cannot boot: nothing is left running behind the error.
        await ocpp.close();
        await controller.stop();
        throw e;
      }
    }
    void power.start();
    const site = new SimulatedSite(
      opts,
      config,
      controller,
      power,
      stalls,
      hardware,
      ocpp,
      contracts,
      clock,
      scheduler,
    );
    site.cloudConfig = (der) => {
      cloudConfig.revoke(der);
      configDocument.provision(cloudConfig.current());
      ocpp?.syncLocalLists();
    };
    return site;
  }

  private cloudConfig: ((revokedDer: Uint8Array) => void) | null = null;

  /** The cloud publishes a revocation list naming this contract; the site holds it from now on. */
  revokeContract(index: number): void {
    this.cloudConfig?.(this.contracts[index]!.chain[0]!);
  }

  /** The contracts the simulated cars use (index as in the arrival plan). */
  contractIds(): ContractId[] {
    return this.contracts.map((c) => c.contractId);
  }

  /** Advances the site by `ms` of simulated time without arrivals (tests drive cars themselves). */
  async advance(ms: number): Promise<void> {
    await runVirtual({
      controller: this.controller,
      clock: this.clock,
      untilMs: this.clock.now() + ms,
      stepMs: STEP_MS,
      tickMs: this.config.tickIntervalMs,
      advanceHardware: (now) => this.advanceHardware(now),
      each: () => this.settleOcpp(),
    });
  }

  private advanceHardware(now: number): void {
    for (const s of this.stalls) s.advanceTo(now);
    this.ocpp?.advanceTo();
    this.scheduler.fireDue();
  }

  /** With OCPP stalls: the step's network exchanges finish before time moves on. */
  private async settleOcpp(): Promise<void> {
    await this.ocpp?.settle(() => this.scheduler.fireDue());
  }

  /** Runs until every planned car has come and gone and every session has ended. */
  async run(): Promise<SimulationSummary> {
    const lastLeave =
      Math.max(this.opts.startMs, ...this.queue.map((v) => v.leaveAtMs)) + MAX_WAIT_MS + 5 * 60_000;
    const t0 = this.clock.now();
    await runVirtual({
      controller: this.controller,
      clock: this.clock,
      untilMs: lastLeave,
      stepMs: STEP_MS,
      tickMs: this.config.tickIntervalMs,
      advanceHardware: (now) => this.advanceHardware(now),
      each: async (now) => {
        this.step(now);
        await this.settleOcpp();
        if (now % 60_000 === 0) writeSimState(this.opts.dataDir, now, this.registers());
        await this.opts.onStep?.(now);
      },
    });
    writeSimState(this.opts.dataDir, this.clock.now(), this.registers());
    return this.summary(this.clock.now() - t0);
  }

  /** Arrivals, departures and the waiting line at one instant. */
  private step(now: number): void {
    while (this.queue.length > 0 && this.queue[0]!.arriveAtMs <= now) {
      this.waiting.push(this.queue.shift()!);
      this.arrived++;
    }
    const views = this.controller.orchestrator.stallViews();
    const simCount = this.stalls.length;
    const total = this.hardware.length;
    for (let k = 0; k < total; k++) {
      // Drivers take whichever stall is free, not always the first one.
      const i = (this.nextStall + k) % total;
      const ocppIndex = i >= simCount ? i - simCount : null;
      const here = this.atStall.get(i);
      const phase = views[i]!.phase;
      if (here) {
        // An OCPP charger's session runs on while a full car draws nothing: the driver notices and leaves too.
        const idle = phase === "available" || (ocppIndex !== null && this.ocpp!.carFull(ocppIndex));
        here.idleSinceMs = idle ? (here.idleSinceMs ?? now) : null;
        // The driver leaves at the planned time, or two minutes after the session ended (full, refused).
        if (now >= here.visit.leaveAtMs || (here.idleSinceMs !== null && now - here.idleSinceMs >= 120_000)) {
          if (ocppIndex === null) this.stalls[i]!.unplug();
          else this.ocpp!.unplug(ocppIndex);
          this.atStall.delete(i);
        }
      } else if (
        phase === "available" &&
        this.waiting.length > 0 &&
        (ocppIndex === null || this.ocpp!.free(ocppIndex))
      ) {
        const visit = this.waiting.shift()!;
        const contract = this.contracts[visit.contract]!;
        if (ocppIndex === null)
          this.stalls[i]!.plug(
            new SimVehicle(visit, contract.secureElement, contract.chain, `SIMVIN${visit.index}`),
          );
        else this.ocpp!.plug(ocppIndex, visit, contract);
        this.atStall.set(i, { visit, idleSinceMs: null });
        this.served++;
        this.nextStall = (i + 1) % total;
      }
    }
    while (this.waiting.length > 0 && now - this.waiting[0]!.arriveAtMs > MAX_WAIT_MS) {
      this.waiting.shift();
      this.turnedAway++;
    }
  }

  summary(simulatedMs: number): SimulationSummary {
    const sessions = { completed: 0, rejected: 0, failed: 0, open: 0 };
    let energyWh = 0;
    for (const s of this.controller.journal.all()) {
      if (s.state === "completed" || s.state === "rejected" || s.state === "failed") sessions[s.state]++;
      else sessions.open++;
      if (s.begin && s.end) energyWh += s.end.registerWh - s.begin.registerWh;
    }
    return {
      arrived: this.arrived,
      served: this.served,
      turnedAway: this.turnedAway,
      sessions,
      energyWh,
      simulatedMs,
    };
  }

  async stop(): Promise<void> {
    await this.power.close();
    await this.ocpp?.close();
    await this.controller.stop();
  }

  /** Every meter's register now (simulated meters and the OCPP chargers' meters), Wh. */
  registers(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.stalls) out[s.meter.id] = s.meter.registerWh();
    for (const [j, c] of this.config.stalls.slice(this.stalls.length).entries())
      out[c.meterId] = this.ocpp!.registerWh(j);
    return out;
  }
}

interface SimState {
  clockMs: number;
  registers: Record<string, number>;
}

function readSimState(dir: string): SimState {
  const file = join(dir, "sim-state.json");
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as SimState)
    : { clockMs: 0, registers: {} };
}

/** What survives a controller crash in the real world: the meters' registers and the time. */
function writeSimState(dir: string, clockMs: number, registers: Record<string, number>): void {
  const state: SimState = { clockMs, registers };
  writeFileSync(join(dir, "sim-state.json.tmp"), JSON.stringify(state));
  renameSync(join(dir, "sim-state.json.tmp"), join(dir, "sim-state.json"));
}
