import type { FeedFrame } from "@chargemesh/shared-model/contracts";
import type { FeedEnvelope } from "./feedEnvelope.js";

/** What a viewer gets from the hub: a frame to send, or a reset (the frames after its seq are gone). */
export type FeedDelivery = { kind: "frame"; frame: FeedFrame } | { kind: "reset"; frame: FeedFrame };

export type FeedListener = (frame: FeedFrame) => void;

export interface SessionFeedHubOptions {
  /** Frames kept per session for resuming viewers (default 256: over 20 minutes at one frame per 5 s). */
  readonly framesPerSession?: number;
  /** Sessions held at most; the least recently updated go first (default 100,000). */
  readonly maxSessions?: number;
}

interface SessionFeed {
  readonly sessionId: string;
  contractId: string | null;
  readonly frames: FeedFrame[];
}

/**
 * The gateway's view of every live session: the recent frames of each (a bounded ring), and the
 * viewers of each session and each contract. Frames arrive from the bus in seq order; a frame with a
 * seq already held is a duplicate and is dropped, so a viewer never sees one twice.
 */
export class SessionFeedHub {
  private readonly sessions = new Map<string, SessionFeed>();
  private readonly bySession = new Map<string, Set<FeedListener>>();
  private readonly byContract = new Map<string, Set<FeedListener>>();
  private readonly sessionsOfContract = new Map<string, Set<string>>();
  private readonly framesPerSession: number;
  private readonly maxSessions: number;
  duplicates = 0;

  constructor(opts: SessionFeedHubOptions = {}) {
    this.framesPerSession = opts.framesPerSession ?? 256;
    this.maxSessions = opts.maxSessions ?? 100_000;
  }

  /** Takes one envelope from the bus: keeps the frame and hands it to the session's and the contract's viewers. Never throws (a viewer that throws is skipped). */
  ingest(e: FeedEnvelope): void {
    const id = e.frame.figures.sessionId;
    let feed = this.sessions.get(id);
    if (feed) {
      const last = feed.frames.at(-1);
      if (last && e.frame.seq <= last.seq) {
        this.duplicates++;
        return;
      }
      this.sessions.delete(id); // re-insert: the map's order is least recently updated first
    } else {
      feed = { sessionId: id, contractId: null, frames: [] };
      if (this.sessions.size >= this.maxSessions) this.evictOldest();
    }
    this.sessions.set(id, feed);
    if (e.contractId && feed.contractId !== e.contractId) {
      feed.contractId = e.contractId;
      let set = this.sessionsOfContract.get(e.contractId);
      if (!set) this.sessionsOfContract.set(e.contractId, (set = new Set()));
      set.add(id);
    }
    feed.frames.push(e.frame);
    if (feed.frames.length > this.framesPerSession) feed.frames.shift();
    const deliver = (set: Set<FeedListener> | undefined) => {
      for (const l of set ?? []) {
        try {
          l(e.frame);
        } catch {
          // a failing viewer is its connection's problem
        }
      }
    };
    deliver(this.bySession.get(id));
    if (feed.contractId) deliver(this.byContract.get(feed.contractId));
  }

  /** The latest frame of a session, or null. */
  latest(sessionId: string): FeedFrame | null {
    return this.sessions.get(sessionId)?.frames.at(-1) ?? null;
  }

  /** The contract a session's frames named, or null. */
  contractOf(sessionId: string): string | null {
    return this.sessions.get(sessionId)?.contractId ?? null;
  }

  /** Latest frames of the sessions of these contracts, most recent first, at most `limit`. */
  latestOfContracts(contracts: ReadonlySet<string>, limit: number): FeedFrame[] {
    const out: FeedFrame[] = [];
    for (const c of contracts)
      for (const s of this.sessionsOfContract.get(c) ?? []) {
        const f = this.latest(s);
        if (f) out.push(f);
      }
    return out.sort((a, b) => b.figures.siteTimeMs - a.figures.siteTimeMs).slice(0, limit);
  }

  /**
   * What a viewer that showed `sessionId` up to `seq` needs now: every held frame after it in order
   * (none when it is up to date), or a reset with the latest frame when the ring no longer holds seq+1.
   */
  since(sessionId: string, seq: number): FeedDelivery[] {
    const frames = this.sessions.get(sessionId)?.frames ?? [];
    const last = frames.at(-1);
    if (!last || last.seq <= seq) return [];
    const first = frames[0]!;
    if (first.seq > seq + 1) return [{ kind: "reset", frame: last }];
    return frames.filter((f) => f.seq > seq).map((frame) => ({ kind: "frame", frame }));
  }

  /** Calls `listener` with each new frame of `sessionId`; returns the unsubscribe. */
  watchSession(sessionId: string, listener: FeedListener): () => void {
    return add(this.bySession, sessionId, listener);
  }

  /** Calls `listener` with each new frame of every session of `contractId`; returns the unsubscribe. */
  watchContract(contractId: string, listener: FeedListener): () => void {
    return add(this.byContract, contractId, listener);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  private evictOldest(): void {
    const oldest = this.sessions.keys().next().value;
    if (oldest === undefined) return;
    const feed = this.sessions.get(oldest)!;
    this.sessions.delete(oldest);
    if (feed.contractId) this.sessionsOfContract.get(feed.contractId)?.delete(oldest);
  }
}

function add(map: Map<string, Set<FeedListener>>, key: string, listener: FeedListener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}
