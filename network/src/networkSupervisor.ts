import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ChargemeshError, err, ok, systemClock } from "@chargemesh/shared-model";
import type { Clock, Result } from "@chargemesh/shared-model";
import type {
  CloudBillingFigures,
  CloudMessage,
  CloudProcessArgs,
  CloudSiteSync,
  SiteFigures,
  SiteMessage,
  SiteProcessArgs,
  ToCloud,
  ToSite,
} from "./childMessages.js";
import { DECLINING_DRIVER_EMAIL, DECLINING_DRIVER_PASSWORD_FILE, DEMO_DRIVER_EMAIL } from "./demoDrivers.js";
import { loadOrCreateSecret } from "./secretFile.js";
import { SupervisedChild } from "./supervisedChild.js";
import type { ChildEvent } from "./supervisedChild.js";

/** Where everything of one network lives and listens. */
export interface NetworkLayout {
  readonly sites: number;
  readonly stalls: number;
  readonly vehicles: number;
  readonly ocppStalls: number;
  readonly speed: number;
  /** Absolute data directory: `cloud/`, `site-N/`, `logs/`. */
  readonly dataDir: string;
  /** pino logs of the children to stdout (true) or to `logs/<name>.log`. */
  readonly jsonLogs: boolean;
  readonly sitePorts: readonly number[];
  readonly cloudHttpPort: number;
  readonly cloudLibp2pPort: number;
  readonly kioskDir: string | null;
  readonly driverAppDir: string | null;
  /** Simulated drivers whose card the payment simulator declines (default 0). */
  readonly decliningDrivers?: number;
  /** A child not ready after this is killed and restarted (default 10 min: a loaded machine is slow). */
  readonly readyTimeoutMs?: number;
}

/** Every address and credential the network hands out, as printed at start. */
export interface NetworkUrls {
  readonly cloud: {
    readonly apiUrl: string;
    readonly multiaddr: string;
    readonly operatorToken: string | null;
    readonly driverApp: boolean;
    /** The demo driver's sign-in (the app's account holding some of the simulated cars' contracts). */
    readonly demoDriver?: { readonly email: string; readonly password: string };
    /** The first declining driver's sign-in (its simulated card declines), with `--declining-drivers`. */
    readonly decliningDriver?: { readonly email: string; readonly password: string };
  };
  readonly sites: readonly {
    readonly siteId: string;
    readonly apiUrl: string;
    readonly kiosk: boolean;
    readonly technicianToken: string;
  }[];
}

/** The network at one instant, for the running summary. */
export interface NetworkSnapshot {
  readonly atMs: number;
  readonly speed: number;
  readonly cloud: {
    readonly up: boolean;
    readonly pid: number | null;
    readonly restarts: number;
    /** The financial ledger's totals as the cloud last reported them; null before its first report. */
    readonly billing: CloudBillingFigures | null;
  };
  readonly sites: readonly {
    readonly siteId: string;
    readonly up: boolean;
    readonly pid: number | null;
    readonly restarts: number;
    /** The last figures the site sent (kept while it restarts). */
    readonly figures: SiteFigures | null;
    /** The cloud's view of its sync; null while the cloud is down or has not reported. */
    readonly sync: CloudSiteSync | null;
  }[];
}

interface SiteSlot {
  readonly siteId: string;
  readonly technicianToken: string;
  readonly child: SupervisedChild<SiteMessage, ToSite>;
  ready: Extract<SiteMessage, { type: "ready" }> | null;
  figures: SiteFigures | null;
  /** The cloud incarnation that admitted this site, with what it admitted, and the config URL it answered. */
  registration: {
    incarnation: number;
    peerId: string;
    rootUrl: string;
    /** The trust it registered with (a restarted simulated site draws a new PKI). */
    trust: string;
    configUrl: string | null;
  } | null;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/**
 * The embedded default's supervisor: the cloud peer and each simulated site in its own process
 * (`cloudProcess.ts`, `siteProcess.ts`), each restarted with backoff when it exits (one crash
 * never stops another process). It registers every site with the cloud again after either restarts
 * and hands each new site process its config document URL. `start` resolves once every process was
 * ready once, or with an `unavailable` error naming the one that could not start.
 */
export class NetworkSupervisor {
  private readonly cloud: SupervisedChild<CloudMessage, ToCloud>;
  private readonly operatorToken: string;
  private readonly demoPassword: string;
  private readonly decliningPassword: string | null;
  private billing: CloudBillingFigures | null = null;
  private readonly sites: SiteSlot[] = [];
  private cloudReady: Extract<CloudMessage, { type: "ready" }> | null = null;
  /** The cloud's libp2p address once known (the same after its restarts: fixed port, persistent key). */
  private cloudMultiaddr: string | null = null;
  private cloudIncarnation = 0;
  private cloudSync = new Map<string, CloudSiteSync>();
  private readonly waiters = new Map<string, { resolve: () => void; reject: (e: ChargemeshError) => void }>();
  private failure: ((e: ChargemeshError) => void) | null = null;
  /** Rejects when a process gives up after the network was running (it cannot be kept up). */
  readonly failed: Promise<never>;

  constructor(
    private readonly layout: NetworkLayout,
    private readonly report: (e: ChildEvent) => void,
    private readonly clock: Clock = systemClock,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.failure = reject));
    this.failed.catch(() => undefined);
    const logs = join(layout.dataDir, "logs");
    mkdirSync(logs, { recursive: true });
    const cloudDir = join(layout.dataDir, "cloud");
    const operatorTokenFile = join(cloudDir, "operator-token");
    this.operatorToken = loadOrCreateSecret(operatorTokenFile);
    const demoPasswordFile = join(cloudDir, "demo-driver-password");
    this.demoPassword = loadOrCreateSecret(demoPasswordFile);
    this.decliningPassword =
      (layout.decliningDrivers ?? 0) > 0
        ? loadOrCreateSecret(join(cloudDir, DECLINING_DRIVER_PASSWORD_FILE))
        : null;
    const cloudArgs: CloudProcessArgs = {
      dataDir: cloudDir,
      logFile: layout.jsonLogs ? null : join(logs, "cloud.log"),
      httpPort: layout.cloudHttpPort,
      libp2pPort: layout.cloudLibp2pPort,
      operatorTokenFile,
      demoPasswordFile,
      decliningDrivers: layout.decliningDrivers ?? 0,
      driverAppDir: layout.driverAppDir,
    };
    this.cloud = this.child<CloudMessage, ToCloud>("cloud", here("./cloudProcess.ts"), cloudArgs, (m) =>
      this.onCloud(m),
    );
  }

  /** Starts the cloud, then every site; resolves when all were ready once. */
  async start(): Promise<Result<NetworkUrls>> {
    try {
      // All at once: sites load while the cloud starts, and wait for its address before they build.
      for (let i = 0; i < this.layout.sites; i++) this.addSite(i);
      const ready = [this.firstReady("cloud"), ...this.sites.map((s) => this.firstReady(s.siteId))];
      this.cloud.start();
      for (const s of this.sites) s.child.start();
      await Promise.all(ready);
    } catch (e) {
      if (e instanceof ChargemeshError) return err(e);
      throw e;
    }
    return ok(this.urls());
  }

  /** Stops every process (sites first, then the cloud); each is SIGKILLed after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(this.sites.map((s) => s.child.stop(graceMs)));
    await this.cloud.stop(graceMs);
  }

  snapshot(): NetworkSnapshot {
    return {
      atMs: this.clock.now(),
      speed: this.layout.speed,
      cloud: {
        up: this.cloudReady !== null,
        pid: this.cloud.pid,
        restarts: this.cloud.restarts,
        billing: this.billing,
      },
      sites: this.sites.map((s) => ({
        siteId: s.siteId,
        up: s.ready !== null,
        pid: s.child.pid,
        restarts: s.child.restarts,
        figures: s.figures,
        sync: this.cloudReady ? (this.cloudSync.get(s.siteId) ?? null) : null,
      })),
    };
  }

  private urls(): NetworkUrls {
    const cloud = this.cloudReady!;
    return {
      cloud: {
        apiUrl: cloud.apiUrl,
        multiaddr: cloud.multiaddr,
        operatorToken: cloud.operatorToken ?? this.operatorToken,
        driverApp: cloud.driverApp,
        demoDriver: { email: DEMO_DRIVER_EMAIL, password: this.demoPassword },
        ...(this.decliningPassword
          ? { decliningDriver: { email: DECLINING_DRIVER_EMAIL, password: this.decliningPassword } }
          : {}),
      },
      sites: this.sites.map((s) => ({
        siteId: s.siteId,
        apiUrl: s.ready!.apiUrl,
        kiosk: s.ready!.kiosk,
        technicianToken: s.technicianToken,
      })),
    };
  }

  private addSite(i: number): void {
    const siteId = `site-${i + 1}`;
    const dataDir = join(this.layout.dataDir, siteId);
    const technicianTokenFile = join(dataDir, "technician-token");
    const args: SiteProcessArgs = {
      siteId,
      dataDir,
      logFile: this.layout.jsonLogs ? null : join(this.layout.dataDir, "logs", `${siteId}.log`),
      apiPort: this.layout.sitePorts[i]!,
      stalls: this.layout.stalls,
      vehicles: this.layout.vehicles,
      ocppStalls: this.layout.ocppStalls,
      speed: this.layout.speed,
      seed: i + 1,
      technicianTokenFile,
      kioskDir: this.layout.kioskDir,
      // The driver app the cloud serves reads the site's live feed when the cloud is silent.
      allowedOrigins: [
        `http://127.0.0.1:${this.layout.cloudHttpPort}`,
        `http://localhost:${this.layout.cloudHttpPort}`,
      ],
    };
    const slot: SiteSlot = {
      siteId,
      technicianToken: loadOrCreateSecret(technicianTokenFile),
      child: this.child<SiteMessage, ToSite>(siteId, here("./siteProcess.ts"), args, (m) =>
        this.onSite(slot, m),
      ),
      ready: null,
      figures: null,
      registration: null,
    };
    this.sites.push(slot);
  }

  private child<M extends { type: string }, In>(
    name: string,
    file: string,
    arg: unknown,
    onMessage: (m: M) => void,
  ): SupervisedChild<M, In> {
    return new SupervisedChild<M, In>({
      name,
      file,
      arg,
      stderrFile: join(this.layout.dataDir, "logs", `${name}.stderr.log`),
      stdout: this.layout.jsonLogs ? process.stdout : null,
      readyTimeoutMs: this.layout.readyTimeoutMs ?? 600_000,
      clock: this.clock,
      onMessage,
      onEvent: (e) => this.onEvent(e),
    });
  }

  private firstReady(name: string): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.set(name, { resolve, reject }));
  }

  private onEvent(e: ChildEvent): void {
    if (e.kind === "exited") {
      if (e.name === "cloud") this.cloudReady = null;
      const site = this.sites.find((s) => s.siteId === e.name);
      if (site) site.ready = null;
    }
    if (e.kind === "gave-up") {
      const error = new ChargemeshError("unavailable", `${e.name} could not be started: ${e.reason}`);
      const waiter = this.waiters.get(e.name);
      this.waiters.delete(e.name);
      if (waiter) waiter.reject(error);
      else this.failure?.(error);
    }
    this.report(e);
  }

  private onCloud(m: CloudMessage): void {
    if (m.type === "ready") {
      this.cloudReady = m;
      this.cloudIncarnation++;
      if (this.cloudMultiaddr === null)
        for (const s of this.sites) s.child.send({ type: "cloud", multiaddr: m.multiaddr });
      this.cloudMultiaddr = m.multiaddr;
      this.cloudSync = new Map();
      for (const s of this.sites) if (s.ready) this.admit(s);
      this.settle("cloud");
    } else if (m.type === "sync") {
      this.cloudSync = new Map(m.sites.map((s) => [s.siteId, s]));
    } else if (m.type === "billing") {
      this.billing = m.figures;
    } else if (m.type === "registered") {
      const site = this.sites.find((s) => s.siteId === m.siteId);
      if (!site?.registration) return;
      site.registration.configUrl = m.configUrl;
      site.child.send({ type: "config", configUrl: m.configUrl });
    }
  }

  private onSite(site: SiteSlot, m: SiteMessage): void {
    if (m.type === "hello") {
      if (this.cloudMultiaddr) site.child.send({ type: "cloud", multiaddr: this.cloudMultiaddr });
    } else if (m.type === "ready") {
      site.ready = m;
      if (this.cloudReady) this.admit(site);
      this.settle(site.siteId);
    } else if (m.type === "figures") {
      site.figures = m.figures;
    }
  }

  /** Registers the site with the running cloud unless this cloud already admitted exactly it; then its config. */
  private admit(site: SiteSlot): void {
    const { peerId, rootUrl, contracts, trust } = site.ready!;
    const trustKey = JSON.stringify(trust);
    const r = site.registration;
    if (
      r &&
      r.incarnation === this.cloudIncarnation &&
      r.peerId === peerId &&
      r.rootUrl === rootUrl &&
      r.trust === trustKey
    ) {
      if (r.configUrl) site.child.send({ type: "config", configUrl: r.configUrl });
      return;
    }
    site.registration = {
      incarnation: this.cloudIncarnation,
      peerId,
      rootUrl,
      trust: trustKey,
      configUrl: null,
    };
    this.cloud.send({ type: "register", siteId: site.siteId, peerId, rootUrl, contracts, trust });
  }

  private settle(name: string): void {
    this.waiters.get(name)?.resolve();
    this.waiters.delete(name);
  }
}
