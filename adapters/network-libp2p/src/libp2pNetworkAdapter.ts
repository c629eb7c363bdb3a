import "./promiseWithResolversPolyfill.js";
import { NetworkAdapter } from "@automerge/automerge-repo";
import type { Message, PeerId, PeerMetadata } from "@automerge/automerge-repo";
import type { Libp2p } from "libp2p";
import type { Connection, Stream } from "@libp2p/interface";
import { multiaddr } from "@multiformats/multiaddr";
import { encodeFrame, FrameDecoder } from "./frameCodec.js";
import {
  cryptoBackoffRandom,
  jittered,
  nextRedialDelay,
  REDIAL_BASE_MS,
  REDIAL_MAX_MS,
} from "./redialBackoff.js";
import type { BackoffRandom } from "./redialBackoff.js";

export const SYNC_PROTOCOL = "/chargemesh/automerge-sync/1.0.0";

export interface Libp2pNetworkAdapterOptions {
  readonly node: Libp2p;
  /** Peers this node dials and keeps dialing (multiaddrs ending in /p2p/<id>): a site's cloud peers. */
  readonly dial?: readonly string[];
  /**
   * "all" (default): keep a connection to every dial target (cloud peers of other regions).
   * "failover": the targets are in preference order (the home region first); keep one connection,
   * to the first target that answers, and move back to the home target once it answers again.
   */
  readonly dialMode?: "all" | "failover";
  /** In failover mode, how often a node connected to a fallback target tries its home again, ms (default 30 s). */
  readonly homeProbeMs?: number;
  /**
   * "transport" (production): a peer's automerge ID must be the libp2p peer ID Noise authenticated.
   * "declared": the ID declared in the join frame is bound to the authenticated connection for its
   * lifetime (lets generic suites use names like "alice"); a different sender later is still refused.
   */
  readonly peerIdPolicy?: "transport" | "declared";
  /** Largest frame accepted, bytes (default 16 MiB); a larger one resets the stream. */
  readonly maxFrameBytes?: number;
  /** Delay before redialing a lost or unreachable peer, ms (doubles up to `maxRedialMs`). Default 500. */
  readonly redialMs?: number;
  /** Longest delay between redials of an unreachable peer, ms (default 5 s): a returning link is used within it. */
  readonly maxRedialMs?: number;
  /** Spreads redial delays (each one falls in [d/2, d]); default crypto.getRandomValues. */
  readonly random?: BackoffRandom;
  /** Longest wait for the dial targets before reporting ready anyway, ms (default 5 s). */
  readonly readyTimeoutMs?: number;
  /**
   * Decides on each message from an authenticated peer before the repo sees it: a reason to drop it
   * (a change its writer may not make, say), or null to pass it on. A dropped message is reported to
   * `onViolation`; the stream stays open, since the peer's other documents may be in order.
   */
  readonly inboundFilter?: (message: Message, remoteLibp2pPeer: string) => string | null;
  /** Hears every protocol violation (forged sender, oversize frame, garbage): the peer is flagged. */
  readonly onViolation?: (remoteLibp2pPeer: string, reason: string) => void;
  /** Hears the links to dial targets come and go, and why (for the operator's log and metrics). */
  readonly onLink?: (event: LinkEvent) => void;
}

/** A link to a dial target: joined, lost (with the stream's error, if any), or a dial that failed. */
export type LinkEvent =
  | { readonly type: "up"; readonly remote: string }
  | { readonly type: "lost"; readonly remote: string; readonly reason: string }
  | { readonly type: "dial_failed"; readonly remote: string; readonly reason: string };

interface Channel {
  readonly stream: Stream;
  readonly remote: string;
  bound: PeerId | null;
  readonly queue: Uint8Array[];
  flushing: boolean;
  /** What to do when this channel is lost rather than let go (redial, fail over). */
  readonly onLost: (() => void) | undefined;
}

/**
 * automerge-repo's NetworkAdapter over libp2p streams (TCP or WebSockets, Noise, yamux). One stream
 * per remote peer carries length-prefixed CBOR frames; the first frame is a join with the sender's
 * automerge ID and metadata. automerge-repo trusts the sender IDs it is given, so this adapter binds
 * each stream to the peer Noise authenticated and resets the stream on any frame whose sender or
 * target does not match. Sending waits for drain when the stream signals backpressure.
 */
export class Libp2pNetworkAdapter extends NetworkAdapter {
  private readonly channels = new Map<string, Channel>();
  private readonly byPeerId = new Map<PeerId, Channel>();
  private ready = false;
  private stopped = false;
  private readyResolve!: () => void;
  private readonly readyPromise = new Promise<void>((r) => (this.readyResolve = r));
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly opts: Libp2pNetworkAdapterOptions) {
    super();
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Resolves once connected and every configured dial target has joined (or after `readyTimeoutMs`),
   *  so a Repo does not declare documents unavailable before its first peers could answer. */
  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  connect(peerId: PeerId, peerMetadata?: PeerMetadata): void {
    if (
      (this.opts.peerIdPolicy ?? "transport") === "transport" &&
      peerId !== this.opts.node.peerId.toString()
    ) {
      throw new Error(
        `automerge peer ID ${peerId} must equal this node's libp2p peer ID ${this.opts.node.peerId.toString()}`,
      );
    }
    this.peerId = peerId;
    this.peerMetadata = peerMetadata ?? {};
    this.stopped = false;
    void this.opts.node.handle(
      SYNC_PROTOCOL,
      (stream: Stream, conn: Connection) => this.attach(stream, conn.remotePeer.toString()),
      { force: true },
    );
    const targets = this.opts.dial ?? [];
    const failover = this.opts.dialMode === "failover";
    if (failover) this.failoverRound(0, this.baseMs);
    else for (const target of targets) this.dialLoop(target, this.baseMs);
    const pending = new Set(targets.map((t) => remoteOf(t)));
    const done = () => {
      if (this.ready) return;
      this.ready = true;
      this.off("peer-candidate", onPeer);
      this.readyResolve();
    };
    const onPeer = () => {
      for (const remote of [...pending]) if (this.channels.get(remote)?.bound) pending.delete(remote);
      // In failover mode one joined target is enough: the others are fallbacks.
      if (pending.size === 0 || (failover && pending.size < targets.length)) done();
    };
    if (pending.size === 0) done();
    else {
      this.on("peer-candidate", onPeer);
      this.later(done, this.opts.readyTimeoutMs ?? 5_000);
    }
  }

  send(message: Message): void {
    const ch = this.byPeerId.get(message.targetId);
    if (!ch) return;
    this.enqueue(ch, encodeFrame(message));
  }

  disconnect(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    void this.opts.node.unhandle(SYNC_PROTOCOL).catch(() => {});
    for (const ch of [...this.channels.values()]) this.drop(ch);
    this.emit("close");
  }

  private dialLoop(target: string, delayMs: number): void {
    if (this.stopped) return;
    const remote = remoteOf(target);
    if (this.channels.has(remote)) return;
    const redial = () => this.later(() => this.dialLoop(target, this.baseMs), this.jitter(this.baseMs));
    this.opts.node.dialProtocol(multiaddr(target), SYNC_PROTOCOL).then(
      (stream) => this.attach(stream, remote, redial),
      (e: unknown) => {
        this.dialFailed(remote, e);
        this.later(() => this.dialLoop(target, this.nextDelay(delayMs)), this.jitter(delayMs));
      },
    );
  }

  /**
   * Failover: tries the targets in order from `index`; the first that answers becomes the one
   * connection. A lost connection starts again from the home target; a round in which none answered
   * is retried after `delayMs` (doubling up to `maxRedialMs`). A fallback connection probes home periodically.
   */
  private failoverRound(index: number, delayMs: number): void {
    if (this.stopped) return;
    const targets = this.opts.dial ?? [];
    const target = targets[index];
    if (target === undefined)
      return this.later(() => this.failoverRound(0, this.nextDelay(delayMs)), this.jitter(delayMs));
    this.opts.node.dialProtocol(multiaddr(target), SYNC_PROTOCOL).then(
      (stream) => {
        this.attach(stream, remoteOf(target), this.restartFailover);
        if (index > 0) this.later(() => this.probeHome(remoteOf(target)), this.opts.homeProbeMs ?? 30_000);
      },
      (e: unknown) => {
        this.dialFailed(remoteOf(target), e);
        this.failoverRound(index + 1, delayMs);
      },
    );
  }

  private dialFailed(remote: string, e: unknown): void {
    this.opts.onLink?.({ type: "dial_failed", remote, reason: reasonOf(e) });
  }

  private readonly restartFailover = (): void =>
    this.later(() => this.failoverRound(0, this.baseMs), this.jitter(this.baseMs));

  private get baseMs(): number {
    return this.opts.redialMs ?? REDIAL_BASE_MS;
  }

  private nextDelay(previousMs: number): number {
    return nextRedialDelay(
      previousMs,
      this.baseMs,
      Math.max(this.baseMs, this.opts.maxRedialMs ?? REDIAL_MAX_MS),
    );
  }

  private jitter(ms: number): number {
    return jittered(ms, this.opts.random ?? cryptoBackoffRandom);
  }

  /** While connected to the fallback `current`, tries the home target; once home answers, the fallback is let go. */
  private probeHome(current: string): void {
    const home = (this.opts.dial ?? [])[0];
    const fallback = this.channels.get(current);
    if (this.stopped || home === undefined || !fallback) return;
    this.opts.node.dialProtocol(multiaddr(home), SYNC_PROTOCOL).then(
      (stream) => {
        this.attach(stream, remoteOf(home), this.restartFailover);
        if (this.channels.get(current) === fallback) this.drop(fallback);
      },
      () => this.later(() => this.probeHome(current), this.opts.homeProbeMs ?? 30_000),
    );
  }

  private later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Binds a new stream to `remote`; `onLost` runs when this stream (not a replacement) closes. */
  private attach(stream: Stream, remote: string, onLost?: () => void): void {
    if (this.stopped) return void stream.abort(new Error("adapter disconnected"));
    const old = this.channels.get(remote);
    if (old) this.drop(old);
    const ch: Channel = { stream, remote, bound: null, queue: [], flushing: false, onLost };
    this.channels.set(remote, ch);
    const decoder = new FrameDecoder(this.opts.maxFrameBytes ?? 16 * 1024 * 1024);
    stream.addEventListener("message", (evt) => {
      const data = evt.data instanceof Uint8Array ? evt.data : evt.data.subarray();
      const r = decoder.push(data);
      if (!r.ok) return this.violation(ch, r.error);
      for (const frame of r.frames) if (!this.receive(ch, frame)) return;
    });
    stream.addEventListener("close", (evt) => {
      if (this.channels.get(remote) !== ch) return;
      const error = (evt as { error?: Error }).error;
      this.lose(ch, error ? error.message : "stream closed");
    });
    this.enqueue(
      ch,
      encodeFrame({ type: "join", senderId: this.peerId, peerMetadata: this.peerMetadata ?? {} }),
    );
  }

  /** Handles one frame; false when the stream was reset for a violation. */
  private receive(ch: Channel, frame: unknown): boolean {
    if (typeof frame !== "object" || frame === null) return this.violation(ch, "frame is not a map");
    const f = frame as Record<string, unknown>;
    if (typeof f.senderId !== "string" || typeof f.type !== "string")
      return this.violation(ch, "frame without sender or type");
    const sender = f.senderId as PeerId;
    if (f.type === "join") {
      if (ch.bound !== null) return this.violation(ch, "second join on one stream");
      if ((this.opts.peerIdPolicy ?? "transport") === "transport" && sender !== ch.remote) {
        return this.violation(ch, `declared peer ID ${sender} is not the authenticated ${ch.remote}`);
      }
      const existing = this.byPeerId.get(sender);
      if (existing && existing !== ch) this.drop(existing);
      ch.bound = sender;
      this.byPeerId.set(sender, ch);
      if (ch.onLost) this.opts.onLink?.({ type: "up", remote: ch.remote });
      this.emit("peer-candidate", { peerId: sender, peerMetadata: (f.peerMetadata as PeerMetadata) ?? {} });
      return true;
    }
    if (ch.bound === null) return this.violation(ch, "message before join");
    if (sender !== ch.bound)
      return this.violation(ch, `message claims sender ${sender} on the stream of ${ch.bound}`);
    if (f.targetId !== this.peerId)
      return this.violation(ch, `message for ${String(f.targetId)}, not this peer`);
    const refused = this.opts.inboundFilter?.(frame as Message, ch.remote) ?? null;
    if (refused !== null) this.opts.onViolation?.(ch.remote, refused);
    else this.emit("message", frame as Message);
    return true;
  }

  /** A peer that breaks framing or the protocol: flagged, its stream reset and its connections closed. */
  private violation(ch: Channel, reason: string): false {
    this.opts.onViolation?.(ch.remote, reason);
    ch.stream.abort(new Error(`protocol violation: ${reason}`));
    this.lose(ch, `protocol violation: ${reason}`);
    for (const c of this.opts.node.getConnections())
      if (c.remotePeer.toString() === ch.remote) c.abort(new Error(`protocol violation: ${reason}`));
    return false;
  }

  /** Drops a channel that failed (closed, reset, violated): its owner redials or fails over. */
  private lose(ch: Channel, reason: string): void {
    const current = this.channels.get(ch.remote) === ch;
    this.drop(ch);
    if (current && !this.stopped && ch.onLost) {
      this.opts.onLink?.({ type: "lost", remote: ch.remote, reason });
      ch.onLost();
    }
  }

  /** Lets a channel go on purpose (replaced, disconnected, fallback no longer needed). */
  private drop(ch: Channel): void {
    if (this.channels.get(ch.remote) === ch) this.channels.delete(ch.remote);
    if (ch.bound !== null && this.byPeerId.get(ch.bound) === ch) {
      this.byPeerId.delete(ch.bound);
      this.emit("peer-disconnected", { peerId: ch.bound });
    }
    if (ch.stream.status === "open") ch.stream.abort(new Error("channel dropped"));
  }

  private enqueue(ch: Channel, frame: Uint8Array): void {
    ch.queue.push(frame);
    if (!ch.flushing) void this.flush(ch);
  }

  /** Writes queued frames, waiting for drain whenever the stream reports a full buffer. */
  private async flush(ch: Channel): Promise<void> {
    ch.flushing = true;
    try {
      while (ch.queue.length > 0 && ch.stream.status === "open") {
        if (!ch.stream.send(ch.queue.shift()!)) await ch.stream.onDrain();
      }
    } catch (e) {
      this.lose(ch, `send failed: ${reasonOf(e)}`);
    } finally {
      ch.flushing = false;
    }
  }
}

/** A readable reason for a failure: an Error's message, an Event's error or type (libp2p rejects with either). */
function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof Event !== "undefined" && e instanceof Event) {
    const inner = (e as Event & { error?: unknown }).error;
    return inner instanceof Error ? inner.message : `${e.type} event`;
  }
  return String(e);
}

/** The peer ID at the end of a `/p2p/<id>` multiaddr. */
function remoteOf(target: string): string {
  return target.split("/p2p/").pop() ?? "";
}
