import { X509Certificate } from "node:crypto";
import { chmodSync, existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { p256 } from "@noble/curves/nist.js";
import type { Logger } from "pino";
import { SimBattery } from "@chargemesh/hal";
import type { Meter, PowerStage, VehicleLink } from "@chargemesh/hal";
import { OcppSite, configDocumentLocalList, ocppTotalCost } from "@chargemesh/edge-node";
import type { SiteConfig, SiteConfigDocument } from "@chargemesh/edge-node";
import type { Clock, MeterId, StallId } from "@chargemesh/shared-model";
import type { CarVisit } from "../arrivalPlan.js";
import type { SimContract } from "../simContracts.js";
import { SimulatedOcppCharger } from "./simulatedOcppCharger.js";
import { issueSimOcppLabTls, newStationCredential } from "./simOcppLabTls.js";

export interface SimOcppStallsOptions {
  readonly siteId: string;
  readonly config: SiteConfig;
  /** The stalls served by OCPP chargers (some or all of the site's). */
  readonly stalls: SiteConfig["stalls"];
  readonly clock: Clock;
  readonly configDocument: SiteConfigDocument;
  readonly revocationPublicKey: Uint8Array;
  /** How long the power manager allows an EVSE to apply a charging profile, ms. The simulated
   *  chargers apply and answer at once: a delayed answer would hold Authorize (which waits for the
   *  TxProfile) across steps. */
  readonly reactionDelayMs: number;
  readonly log: Logger;
  /**
   * The chargers' meters sign their readings (OCMF, as Eichrecht chargers do) with P-256 keys of
   * their own, and the site verifies them with the keys provisioned for their meter certificates
   * (`ocmfPublicKeyOf`). Default true. A site whose data predates the keys keeps plain readings
   * (its meters were certified without a payload key).
   */
  readonly signedReadings?: boolean;
  /** Where the meters' OCMF keys live (0600, created on first start); default `sim-ocpp-meter-keys.json` beside the site's data directory. */
  readonly meterKeyFile?: string;
}

/** What a stall's hal drivers are, for the SiteController and the local API. */
export interface StallDrivers {
  readonly meter: Meter;
  readonly stage: PowerStage;
  readonly link: VehicleLink;
}

/**
 * The OCPP side of a simulated site: the site's own OCPP 2.0.1 CSMS (edge-node's `OcppSite`) on
 * `localhost`, security profile 2 (TLS with a throwaway lab CA, Basic auth with a random password per
 * station), and one `SimulatedOcppCharger` per OCPP stall connected to it over a real WebSocket. The
 * EVSEs are the stalls' hal drivers, so the orchestrator, power manager and ledger are unchanged.
 * Time moves only through the site's clock; `settle()` lets the network traffic of a step finish.
 */
export class SimOcppStalls {
  readonly chargers: readonly SimulatedOcppCharger[];
  private readonly pending = new Set<Promise<void>>();
  private readonly batteries = new Map<number, SimBattery>();
  private readonly chainPems = new Map<SimContract, string>();
  private readonly failures: string[] = [];

  private constructor(
    readonly site: OcppSite,
    chargers: SimulatedOcppCharger[],
    private readonly opts: SimOcppStallsOptions,
  ) {
    this.chargers = chargers;
  }

  /** Starts the CSMS and builds (not yet connects) the chargers. Throws if the server cannot listen. */
  static async start(opts: SimOcppStallsOptions): Promise<SimOcppStalls> {
    const tls = await issueSimOcppLabTls(Date.now());
    const stalls = opts.stalls;
    const credentials = stalls.map((_, i) =>
      newStationCredential(`${opts.siteId}-CP${String(i + 1).padStart(2, "0")}`),
    );
    const meterKeys = opts.signedReadings === false ? new Map<string, Uint8Array>() : simMeterKeys(opts);
    const site = await OcppSite.start({
      host: "localhost",
      port: 0,
      securityProfile: 2,
      tls: tls.server,
      heartbeatIntervalS: 300,
      stations: stalls.map((s, i) => ({
        id: credentials[i]!.stationId,
        passwordSha256: credentials[i]!.passwordSha256,
        maxW: s.maxW,
        evses: [
          {
            evseId: 1,
            stall: s.id,
            reactionDelayMs: opts.reactionDelayMs,
            // The CSMS verifies each certified meter's signed values as the daemon does from its config.
            ...(meterKeys.has(s.meterId)
              ? {
                  ocmfPublicKeyHex: Buffer.from(p256.getPublicKey(meterKeys.get(s.meterId)!, false)).toString(
                    "hex",
                  ),
                }
              : {}),
          },
        ],
      })),
      stalls: opts.config.stalls,
      localList: configDocumentLocalList(opts.configDocument, opts.revocationPublicKey),
      totalCost: ocppTotalCost(() => opts.configDocument.current()),
      clock: opts.clock,
      log: opts.log,
      firstMessageWaitMs: 200,
    });
    // Rebooted chargers start new transaction numbers: the prefix keeps IDs unique across restarts.
    const boot = opts.clock.now().toString(36);
    const chargers = stalls.map(
      (s, i) =>
        new SimulatedOcppCharger({
          url: site.url,
          stationId: credentials[i]!.stationId,
          password: credentials[i]!.password,
          tls: { ca: tls.caPem },
          clock: opts.clock,
          reactionDelayMs: 0,
          meterIntervalMs: 30_000,
          hardwareMaxW: s.maxW,
          transactionIdPrefix: `${credentials[i]!.stationId}-${boot}`,
          ...(meterKeys.has(s.meterId) ? { ocmfSecretKey: meterKeys.get(s.meterId)! } : {}),
        }),
    );
    const out = new SimOcppStalls(site, chargers, opts);
    for (const [meterId, secret] of meterKeys) out.ocmfKeys.set(meterId, p256.getPublicKey(secret, false));
    return out;
  }

  private readonly ocmfKeys = new Map<string, Uint8Array>();

  /** The P-256 key (SEC1) a charger's certified meter signs with, for its meter certificate; null for a plain meter. */
  ocmfPublicKeyOf(meterId: MeterId | string): Uint8Array | null {
    return this.ocmfKeys.get(meterId) ?? null;
  }

  /** The hal drivers of OCPP stall `i` (an EVSE of the site's CSMS). */
  drivers(i: number): StallDrivers {
    const hw = this.site.hardwareFor(this.opts.stalls[i]!.id as StallId);
    if (!hw) throw new Error(`stall ${i} is not an OCPP stall`);
    return hw;
  }

  /** Boots every charger (BootNotification, provisioning by the CSMS) from its meter register. Rejects when one cannot connect. */
  async connect(registers: (meterId: MeterId) => number): Promise<void> {
    for (const [i, c] of this.chargers.entries()) {
      const meterId = this.opts.stalls[i]!.meterId;
      c.setRegisterAtLeast(registers(meterId));
      await c.connect();
    }
    await this.settle(() => undefined);
  }

  /** Moves every charger to the clock's present (energy flows, meter values fall due). */
  advanceTo(): void {
    for (const c of this.chargers) this.track(c.advance());
  }

  /** A car plugs in at OCPP stall `i`: the charger starts the transaction and authorizes by the contract chain. */
  plug(i: number, visit: CarVisit, contract: SimContract): void {
    const battery = new SimBattery(visit);
    this.batteries.set(i, battery);
    this.track(
      this.chargers[i]!.plug({
        certificatePem: this.chainPem(contract),
        emaid: contract.contractId,
        maxW: visit.maxPowerW,
        battery,
      }),
    );
  }

  /** The driver unplugs at OCPP stall `i` (the transaction ends, if one runs). */
  unplug(i: number): void {
    this.batteries.delete(i);
    this.track(this.chargers[i]!.unplug());
  }

  /** The car at OCPP stall `i` reached its target (it draws nothing more). */
  carFull(i: number): boolean {
    return this.batteries.get(i)?.full() ?? false;
  }

  /** The charger of stall `i` runs no transaction (it can take the next car). */
  free(i: number): boolean {
    return this.chargers[i]!.transactionId() === null;
  }

  registerWh(i: number): number {
    return this.chargers[i]!.registerWh();
  }

  /**
   * Calls in flight on either side, plus the chargers' unanswered events; a call the charger answers
   * only after its reaction delay waits for the clock, not the network, and does not count.
   */
  busy(): number {
    let waitingOnClock = 0;
    let queued = 0;
    for (const c of this.chargers) {
      waitingOnClock += c.answersWaitingOnClock();
      if (c.isOnline()) queued += c.queuedEvents();
    }
    return Math.max(0, this.site.busy() - waitingOnClock) + queued + this.pending.size;
  }

  /**
   * Waits (real time, virtual time held) until no OCPP call is in flight, running `fireDue` between
   * polls so work scheduled at this instant can proceed. Gives up after ~100 polls: some exchanges
   * wait for the clock themselves (Authorize is answered once the power manager's TxProfile is on
   * the charger, which the next steps bring), and a stuck one must not stop the simulation (the
   * stall's timeouts then apply, as with a real charger).
   */
  async settle(fireDue: () => void): Promise<void> {
    for (let round = 0, quiet = 0; round < 100 && quiet < 2; round++) {
      fireDue();
      // A few quick turns first (most steps only resolve local promises), then let the network work.
      await new Promise((r) => (round < 4 ? setImmediate(r) : setTimeout(r, 1)));
      quiet = this.busy() === 0 ? quiet + 1 : 0;
    }
  }

  /** Charger-side problems seen so far (strict validation, failed calls). */
  problems(): string[] {
    return [...this.failures, ...this.chargers.flatMap((c) => c.validationFailures)];
  }

  /** Pushes the current local list to every charger (after the config document changed). */
  syncLocalLists(): void {
    this.track(this.site.syncLocalLists());
  }

  async close(): Promise<void> {
    for (const c of this.chargers) await c.close();
    await Promise.allSettled([...this.pending]);
    await this.site.close();
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((e: unknown) => void this.failures.push(String(e)))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private chainPem(contract: SimContract): string {
    let pem = this.chainPems.get(contract);
    if (!pem) {
      pem = contract.chain.map((der) => new X509Certificate(der).toString()).join("");
      this.chainPems.set(contract, pem);
    }
    return pem;
  }
}

/**
 * The OCPP meters' OCMF secret keys by meter ID: read from `meterKeyFile`, or created there (random,
 * 0600) on a site's first start. A site that already has data but no key file predates signed
 * readings (its meter certificates name no payload key): none, so its chargers keep plain readings.
 */
function simMeterKeys(opts: SimOcppStallsOptions): Map<string, Uint8Array> {
  const file = opts.meterKeyFile ?? join(dirname(opts.config.dataDir), "sim-ocpp-meter-keys.json");
  const keys = new Map<string, Uint8Array>();
  let stored: Record<string, string> = {};
  if (existsSync(file)) stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
  else if (existsSync(opts.config.dataDir) && readdirSync(opts.config.dataDir).length > 0) {
    opts.log.info({ file }, "site data predates the OCPP meters' signing keys: their readings stay plain");
    return keys;
  }
  let added = false;
  for (const s of opts.stalls) {
    const hex = stored[s.meterId];
    if (hex && /^[0-9a-f]{64}$/.test(hex)) keys.set(s.meterId, Uint8Array.from(Buffer.from(hex, "hex")));
    else if (!existsSync(file)) {
      const secret = p256.utils.randomSecretKey();
      keys.set(s.meterId, secret);
      stored[s.meterId] = Buffer.from(secret).toString("hex");
      added = true;
    }
  }
  if (added) {
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return keys;
}
