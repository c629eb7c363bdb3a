import { Counter, Gauge, Registry } from "prom-client";
import type { Logger } from "pino";
import type { RepoMessage } from "@automerge/automerge-repo";
import { decode } from "@automerge/automerge-repo/helpers/cbor.js";
import { isDocumentRepairMessage } from "../sync/documentRepairServer.js";
import type { Clock, Result } from "@chargemesh/shared-model";
import { parseLiveTelemetry } from "@chargemesh/shared-model";
import type { LiveStallFigures, LiveTelemetry } from "@chargemesh/shared-model";

/** Why a message was dropped: not a valid message, a message naming another site than the root it came on, a sender that is not the site's registered peer, one older than what is held, or a site not registered. */
export type LiveRejection = "malformed" | "wrong_site" | "wrong_sender" | "stale" | "unknown_site";

/** The latest live figures of one site: each stall as last reported, and when. */
export interface LiveSiteView {
  readonly siteId: string;
  readonly seq: number;
  readonly siteTimeMs: number;
  /** When the latest message arrived, on this peer's clock. */
  readonly receivedAtMs: number;
  readonly live: boolean;
  readonly stalls: readonly LiveStallFigures[];
}

export type LiveListener = (message: LiveTelemetry, receivedAtMs: number) => void;

export interface LiveTelemetryGatewayOptions {
  readonly clock: Clock;
  /** A site counts as live while its latest message is younger than this (default 15 s: three 5 s intervals). */
  readonly staleAfterMs?: number;
  readonly log?: Logger;
}

interface SiteLive {
  seq: number;
  siteTimeMs: number;
  receivedAtMs: number;
  readonly stalls: Map<string, LiveStallFigures>;
}

/** Where repo messages come from (automerge-repo's network subsystem). */
export interface RepoMessageSource {
  on(event: "message", listener: (m: RepoMessage) => void): unknown;
  off(event: "message", listener: (m: RepoMessage) => void): unknown;
}

/**
 * The cloud's end of live telemetry: takes the ephemeral messages sites broadcast on their root
 * documents, keeps the valid ones (latest per site and stall) and hands them to per-site subscribers
 * (the app gateway). Peer input never throws here: a bad message is counted by reason and dropped.
 */
export class LiveTelemetryGateway {
  readonly registry = new Registry();
  private readonly byRoot = new Map<string, { siteId: string; peerId: string }>();
  private readonly bySite = new Map<string, { peerId: string; rootId: string }>();
  private readonly latestBySite = new Map<string, SiteLive>();
  private readonly listeners = new Map<string, Set<LiveListener>>();
  private readonly everySite = new Set<LiveListener>();
  private readonly counts = {
    received: 0,
    gaps: 0,
    rejected: { malformed: 0, wrong_site: 0, wrong_sender: 0, stale: 0, unknown_site: 0 } as Record<
      LiveRejection,
      number
    >,
  };
  private readonly receivedTotal: Counter;
  private readonly rejectedTotal: Counter<"reason">;
  private readonly gapsTotal: Counter;

  constructor(private readonly opts: LiveTelemetryGatewayOptions) {
    this.receivedTotal = new Counter({
      name: "chargemesh_cloud_live_messages_total",
      help: "Valid live telemetry messages received from sites",
      registers: [this.registry],
    });
    this.rejectedTotal = new Counter({
      name: "chargemesh_cloud_live_rejected_total",
      help: "Live telemetry messages dropped, by reason",
      labelNames: ["reason"],
      registers: [this.registry],
    });
    this.gapsTotal = new Counter({
      name: "chargemesh_cloud_live_gaps_total",
      help: "Live telemetry messages a site sent that never arrived (sequence gaps)",
      registers: [this.registry],
    });
    const self = this;
    new Gauge({
      name: "chargemesh_cloud_live_sites",
      help: "Registered sites whose latest live telemetry is fresh",
      registers: [this.registry],
      collect() {
        this.set(self.sitesLive());
      },
    });
  }

  /** Accepts live telemetry on `rootUrl` from the site's registered peer; re-watching a site replaces its peer and root. Never throws. */
  watchSite(siteId: string, peerId: string, rootUrl: string): void {
    const old = this.bySite.get(siteId);
    if (old) this.byRoot.delete(old.rootId);
    const rootId = rootUrl.replace("automerge:", "");
    this.bySite.set(siteId, { peerId, rootId });
    this.byRoot.set(rootId, { siteId, peerId });
  }

  /** Whether `siteId` is registered here (its telemetry is accepted). */
  watching(siteId: string): boolean {
    return this.bySite.has(siteId);
  }

  /** Feeds every ephemeral message on a watched root document into `receive`; returns the unsubscribe. */
  listen(source: RepoMessageSource): () => void {
    const onMessage = (m: RepoMessage) => this.onRepoMessage(m);
    source.on("message", onMessage);
    return () => void source.off("message", onMessage);
  }

  /** One repo message: ignored unless it is ephemeral on a watched site root; undecodable CBOR counts as malformed. Never throws. */
  onRepoMessage(m: RepoMessage): void {
    if (m.type !== "ephemeral") return;
    const site = this.byRoot.get(m.documentId);
    if (!site) return;
    let body: unknown;
    try {
      body = decode(m.data);
    } catch {
      this.reject("malformed", site.siteId, m.senderId);
      return;
    }
    // The document repair exchange shares the root's ephemeral channel (sync/documentRepairServer.ts).
    if (isDocumentRepairMessage(body)) return;
    this.receive(site.siteId, m.senderId, body);
  }

  /**
   * Checks one message that came on `siteId`'s root from `senderId`: it must parse, name that site,
   * come from the site's registered peer and be no older than what is held. Keeps it and tells the
   * site's subscribers (a subscriber that throws is ignored); otherwise counts the reason. Never throws.
   */
  receive(siteId: string, senderId: string, message: unknown): Result<LiveTelemetry, LiveRejection> {
    const site = this.bySite.get(siteId);
    if (!site) return this.reject("unknown_site", siteId, senderId);
    if (senderId !== site.peerId) return this.reject("wrong_sender", siteId, senderId);
    const parsed = parseLiveTelemetry(message);
    if (!parsed.ok) return this.reject("malformed", siteId, senderId, parsed.error.message);
    const m = parsed.value;
    if (m.siteId !== siteId) return this.reject("wrong_site", siteId, senderId, `claims ${m.siteId}`);
    const now = this.opts.clock.now();
    let held = this.latestBySite.get(siteId);
    if (held && m.siteTimeMs < held.siteTimeMs) return this.reject("stale", siteId, senderId);
    if (!held)
      this.latestBySite.set(
        siteId,
        (held = { seq: m.seq, siteTimeMs: m.siteTimeMs, receivedAtMs: now, stalls: new Map() }),
      );
    else if (m.seq > held.seq + 1) {
      this.counts.gaps += m.seq - held.seq - 1;
      this.gapsTotal.inc(m.seq - held.seq - 1);
    }
    held.seq = m.seq;
    held.siteTimeMs = m.siteTimeMs;
    held.receivedAtMs = now;
    for (const s of m.stalls) held.stalls.set(s.stallId, s);
    this.counts.received++;
    this.receivedTotal.inc();
    for (const l of [...(this.listeners.get(siteId) ?? []), ...this.everySite]) {
      try {
        l(m, now);
      } catch (e) {
        this.opts.log?.warn({ siteId, err: String(e) }, "live telemetry subscriber failed");
      }
    }
    return { ok: true, value: m };
  }

  /** The latest figures of a site, or null before its first valid message (or for an unknown site). */
  latest(siteId: string): LiveSiteView | null {
    const held = this.latestBySite.get(siteId);
    if (!held) return null;
    const live = this.opts.clock.now() - held.receivedAtMs < (this.opts.staleAfterMs ?? 15_000);
    return {
      siteId,
      seq: held.seq,
      siteTimeMs: held.siteTimeMs,
      receivedAtMs: held.receivedAtMs,
      live,
      stalls: [...held.stalls.values()],
    };
  }

  /** Calls `listener` with every valid message of every site from now on (the app gateway, the availability index); returns the unsubscribe. */
  subscribeAll(listener: LiveListener): () => void {
    this.everySite.add(listener);
    return () => void this.everySite.delete(listener);
  }

  /** Calls `listener` with every valid message of `siteId` from now on; returns the unsubscribe. */
  subscribe(siteId: string, listener: LiveListener): () => void {
    let set = this.listeners.get(siteId);
    if (!set) this.listeners.set(siteId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(siteId);
    };
  }

  /** How many watched sites sent a valid message within the freshness window. */
  sitesLive(): number {
    const now = this.opts.clock.now();
    let n = 0;
    for (const [siteId, held] of this.latestBySite)
      if (this.bySite.has(siteId) && now - held.receivedAtMs < (this.opts.staleAfterMs ?? 15_000)) n++;
    return n;
  }

  /** Counters since start: valid messages, sequence gaps, rejections by reason. */
  stats(): { received: number; gaps: number; rejected: Readonly<Record<LiveRejection, number>> } {
    return { received: this.counts.received, gaps: this.counts.gaps, rejected: { ...this.counts.rejected } };
  }

  private reject(
    reason: LiveRejection,
    siteId: string,
    senderId: string,
    detail?: string,
  ): { ok: false; error: LiveRejection } {
    this.counts.rejected[reason]++;
    this.rejectedTotal.inc({ reason });
    this.opts.log?.debug({ siteId, senderId, reason, detail }, "live telemetry dropped");
    return { ok: false, error: reason };
  }
}
