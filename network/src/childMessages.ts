/**
 * The messages between the supervisor and its children over the IPC channel. Children push; the
 * supervisor tells sites where their config document is and the cloud which sites to admit.
 */

/** A site process's figures, pushed every second. Energy in Wh and power in W, integers. */
export interface SiteFigures {
  readonly simulatedNowMs: number;
  readonly sessionsOpen: number;
  readonly sessionsCompleted: number;
  readonly sessionsRejected: number;
  readonly sessionsFailed: number;
  readonly energyWh: number;
  readonly powerW: number;
  readonly gridLimitW: number;
  /** Its simulated day has run out (the site stays up: API, sync). */
  readonly dayComplete: boolean;
  /** The config document in force; null when it holds none. */
  readonly config: SiteConfigFigures | null;
}

/** The config document a site works from, as the site reports it. */
export interface SiteConfigFigures {
  readonly version: number;
  /** "cloud": the cloud's document is in force; "provisioned": the copy the site was provisioned with. */
  readonly source: "cloud" | "provisioned";
  readonly trustAnchors: number;
  /** Contracts it marks blocked (billing's standing after an unpaid debt). */
  readonly blockedContracts: number;
}

/** A simulated site's provisioned trust (the simulation's PKI stands in for the operator's), byte strings in base64. */
export interface SiteTrust {
  readonly anchors: readonly string[];
  readonly revocationList: {
    readonly signed: string;
    readonly issuedAtMs: number;
    readonly nextUpdateMs: number;
  } | null;
}

/** What the cloud knows of one site's sync. */
export interface CloudSiteSync {
  readonly siteId: string;
  readonly connected: boolean;
  readonly documentsBehind: number;
  readonly lastContactMs: number | null;
}

export type SiteMessage =
  /** Its modules are loaded and it listens: it waits for the cloud's address before building the site. */
  | { readonly type: "hello" }
  | {
      readonly type: "ready";
      readonly peerId: string;
      readonly rootUrl: string;
      readonly apiUrl: string;
      /** The site serves the built kiosk at `/`. */
      readonly kiosk: boolean;
      /** The contract IDs (eMAIDs) of its simulated cars: the cloud puts accounts on file for them. */
      readonly contracts: readonly string[];
      /** Its provisioned trust: the cloud's config document for it carries the same, so the site adopts it. */
      readonly trust: SiteTrust;
    }
  | { readonly type: "figures"; readonly figures: SiteFigures };

/** What the cloud's financial ledger holds in all (the embedded billing, paying through the payment simulator). */
export interface CloudBillingFigures {
  readonly invoices: number;
  readonly sessionsPaid: number;
  /** Captured in all, euro cents (a decimal string: exact at any size). */
  readonly capturedMinor: string;
  readonly currency: string;
  readonly paymentsDeclined: number;
  /** Always true here: no real card is charged. */
  readonly paymentSimulator: true;
}

export type CloudMessage =
  | {
      readonly type: "ready";
      readonly peerId: string;
      readonly multiaddr: string;
      readonly apiUrl: string;
      /** The cloud API's operator credential (bearer token), when the API has one. */
      readonly operatorToken: string | null;
      /** The cloud API serves the built driver app at `/`. */
      readonly driverApp: boolean;
    }
  | { readonly type: "sync"; readonly sites: readonly CloudSiteSync[] }
  | { readonly type: "billing"; readonly figures: CloudBillingFigures }
  | { readonly type: "registered"; readonly siteId: string; readonly configUrl: string };

export type ToSite =
  | { readonly type: "cloud"; readonly multiaddr: string }
  | { readonly type: "config"; readonly configUrl: string }
  | { readonly type: "stop" };

export type ToCloud =
  | {
      readonly type: "register";
      readonly siteId: string;
      readonly peerId: string;
      readonly rootUrl: string;
      /** The site's cars' contracts: billed to the demo accounts. */
      readonly contracts: readonly string[];
      readonly trust: SiteTrust;
    }
  | { readonly type: "stop" };

/** The site process's single JSON argument. */
export interface SiteProcessArgs {
  readonly siteId: string;
  readonly dataDir: string;
  readonly logFile: string | null;
  readonly apiPort: number;
  readonly stalls: number;
  readonly vehicles: number;
  /** Of its stalls, how many are simulated OCPP chargers (SimulatedSite `ocppStalls`). */
  readonly ocppStalls: number;
  readonly speed: number;
  readonly seed: number;
  /** The technician credential's file (0600; a secret never goes on a command line). */
  readonly technicianTokenFile: string;
  readonly kioskDir: string | null;
  /** Browser origins besides its own that may open its live feed (the cloud's driver app, for the dashboard's local fallback). */
  readonly allowedOrigins: readonly string[];
}

/** The cloud process's single JSON argument. */
export interface CloudProcessArgs {
  readonly dataDir: string;
  readonly logFile: string | null;
  readonly httpPort: number;
  readonly libp2pPort: number;
  /** The operator credential's file (0600). */
  readonly operatorTokenFile: string;
  /** The demo driver's password file (0600, drawn once per data directory). */
  readonly demoPasswordFile: string;
  /** Simulated drivers whose card the payment simulator declines. */
  readonly decliningDrivers: number;
  readonly driverAppDir: string | null;
}
