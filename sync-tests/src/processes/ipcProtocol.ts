import type { DerivedSession } from "@chargemesh/shared-model";

/** A site the cloud region admits: its libp2p peer ID and root document URL (the registry entry). */
export interface SiteRegistration {
  readonly siteId: string;
  readonly peerId: string;
  readonly rootUrl: string;
}

/** Another cloud region the region admits. */
export interface CloudRegistration {
  readonly name: string;
  readonly peerId: string;
}

/** Heads by document URL; null where the peer does not hold the document (yet). */
export type HeadsByUrl = Record<string, string[] | null>;

/** Facts every peer derives from a site's documents with the same pure functions. */
export interface SiteFacts {
  /** deriveSessionFacts per day journal, by day key. */
  readonly sessionsByDay: Record<string, DerivedSession[]>;
  /** The (meter, seq) record keys of each ledger segment, by segment key, sorted. */
  readonly ledgerKeys: Record<string, string[]>;
}

/** Queries and commands a child answers; `Answer` maps each kind to its reply. */
export type ChildRequest =
  | { readonly kind: "heads"; readonly urls: readonly string[] }
  | { readonly kind: "documents"; readonly siteId?: string }
  | { readonly kind: "facts"; readonly siteId?: string }
  | { readonly kind: "status" }
  | { readonly kind: "run" }
  | { readonly kind: "syncState" }
  /** A region with billing: run reconciler passes until quiet. */
  | { readonly kind: "bill" }
  | {
      readonly kind: "register";
      readonly sites: readonly SiteRegistration[];
      readonly clouds: readonly CloudRegistration[];
    };

export interface SiteStatus {
  readonly running: boolean;
  readonly finished: boolean;
  readonly simulatedNowMs: number;
  readonly completedSessions: number;
}

export interface RegionSyncState {
  readonly siteId: string;
  readonly documentsBehind: number;
  readonly connected: boolean;
}

export interface Answer {
  heads: HeadsByUrl;
  /** The site's root URL first, then its journals and segments (sorted by key); null if the root is not held. */
  documents: string[] | null;
  facts: SiteFacts | null;
  status: SiteStatus;
  run: true;
  syncState: RegionSyncState[];
  register: true;
  bill: BillReport;
}

/** One region's reconciler passes. */
export interface BillReport {
  readonly invoicesWritten: number;
  readonly paymentAttempts: number;
  readonly waiting: number;
}

/** Parent → child. */
export interface RequestMessage {
  readonly type: "request";
  readonly id: number;
  readonly request: ChildRequest;
}

/** Child → parent. */
export type ChildMessage =
  | { readonly type: "reply"; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: "reply"; readonly id: number; readonly ok: false; readonly error: string }
  | {
      readonly type: "ready";
      readonly peerId: string;
      readonly rootUrl: string | null;
      readonly simulatedNowMs: number | null;
    }
  | { readonly type: "progress"; readonly simulatedNowMs: number }
  | { readonly type: "finished"; readonly completedSessions: number }
  /** An error the child's crash policy tolerated (see adapters/network-libp2p/src/repoCrashPolicy.ts). */
  | { readonly type: "tolerated"; readonly error: string };
