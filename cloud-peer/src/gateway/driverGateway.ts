import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { Counter, Gauge, Registry } from "prom-client";
import type { Logger } from "pino";
import type { Clock } from "@chargemesh/shared-model";
import {
  DRIVER_FEED_MAX_RESUME,
  DRIVER_FEED_PROTOCOL,
  driverFeedCloseCodes,
  parseFeedResume,
} from "@chargemesh/shared-model/contracts";
import type { FeedFrame, FeedHello, FeedResume } from "@chargemesh/shared-model/contracts";
import type { CredentialBudget } from "../http/credentialBudget.js";
import type { SessionFeedHub } from "./sessionFeedHub.js";
import { credentialOf, viewerOf } from "./viewerAuth.js";
import type { Viewer, ViewerAuthDeps } from "./viewerAuth.js";

export interface DriverGatewayLimits {
  /** Viewers held at most (default 20,000). */
  readonly maxViewers?: number;
  /** Largest message a client may send (default 16 KiB; a client sends one `resume`). */
  readonly maxPayloadBytes?: number;
  /** Bytes queued to one viewer beyond which it is too slow and is dropped (default 256 KiB). */
  readonly maxBufferedBytes?: number;
  /** A viewer must send its `resume` within this (default 10 s). */
  readonly resumeTimeoutMs?: number;
  /** Origins a browser viewer may come from; absent: any (the driver app is served from another origin in development). */
  readonly allowedOrigins?: readonly string[];
}

export interface DriverGatewayDeps extends ViewerAuthDeps {
  readonly hub: SessionFeedHub;
  readonly budget: CredentialBudget;
  readonly log?: Logger;
}

/**
 * The driver live feed (`/api/live`): WebSocket viewers authenticated in the handshake by an account
 * token (the phone) or a site-signed session token (the car), each seeing only its own sessions.
 * After the client's `resume` it gets a hello with the latest frame of each session it may see,
 * the frames it missed (or a reset), then every new frame. A viewer whose send queue passes the
 * bound is dropped (close 4408) and resumes on reconnect with no gap. Never throws on input.
 */
export class DriverGateway {
  readonly registry = new Registry();
  private readonly wss: WebSocketServer;
  private readonly viewers = new Set<WebSocket>();
  private readonly limits: Required<Omit<DriverGatewayLimits, "allowedOrigins">> & {
    allowedOrigins: readonly string[] | null;
  };
  private readonly serialized = new WeakMap<FeedFrame, string>();
  private readonly viewersGauge: Gauge;
  private readonly framesSent: Counter;
  private readonly dropped: Counter<"reason">;
  private readonly refused: Counter<"reason">;

  constructor(
    private readonly deps: DriverGatewayDeps,
    limits: DriverGatewayLimits = {},
  ) {
    this.limits = {
      maxViewers: limits.maxViewers ?? 20_000,
      maxPayloadBytes: limits.maxPayloadBytes ?? 16_384,
      maxBufferedBytes: limits.maxBufferedBytes ?? 262_144,
      resumeTimeoutMs: limits.resumeTimeoutMs ?? 10_000,
      allowedOrigins: limits.allowedOrigins ?? null,
    };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.limits.maxPayloadBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(DRIVER_FEED_PROTOCOL) ? DRIVER_FEED_PROTOCOL : false),
    });
    const viewers = this.viewers;
    this.viewersGauge = new Gauge({
      name: "chargemesh_gateway_viewers",
      help: "WebSocket viewers connected to the driver live feed",
      registers: [this.registry],
      collect() {
        this.set(viewers.size);
      },
    });
    this.framesSent = new Counter({
      name: "chargemesh_gateway_frames_sent_total",
      help: "Frames sent to viewers",
      registers: [this.registry],
    });
    this.dropped = new Counter({
      name: "chargemesh_gateway_viewers_dropped_total",
      help: "Viewers the gateway closed, by reason",
      labelNames: ["reason"],
      registers: [this.registry],
    });
    this.refused = new Counter({
      name: "chargemesh_gateway_handshakes_refused_total",
      help: "Live feed handshakes refused, by reason",
      labelNames: ["reason"],
      registers: [this.registry],
    });
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  /** Takes an HTTP upgrade for `/api/live`: checks limits, origin and credential before accepting. Never throws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const address = req.socket.remoteAddress ?? "?";
    const refuse = (status: number, reason: string) => {
      this.refused.inc({ reason });
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    try {
      if (this.deps.budget.waitMs(address) > 0) return refuse(429, "Too Many Requests");
      if (this.viewers.size >= this.limits.maxViewers) return refuse(503, "Service Unavailable");
      const origin = req.headers.origin;
      if (origin !== undefined && this.limits.allowedOrigins && !this.limits.allowedOrigins.includes(origin))
        return refuse(403, "Forbidden");
      const token = credentialOf(req.headers);
      if (!token) return refuse(401, "Unauthorized");
      const who = viewerOf(token, this.deps);
      if (!who.ok) {
        this.deps.budget.fail(address);
        return refuse(401, "Unauthorized");
      }
      this.deps.budget.succeed(address);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, who.viewer));
    } catch (e) {
      this.deps.log?.warn({ err: String(e) }, "live feed handshake failed");
      socket.destroy();
    }
  }

  private accept(ws: WebSocket, viewer: Viewer): void {
    this.viewers.add(ws);
    const unwatch: (() => void)[] = [];
    let resumed = false;
    const timer = setTimeout(
      () => this.close(ws, driverFeedCloseCodes.badMessage, "no resume", "no_resume"),
      this.limits.resumeTimeoutMs,
    );
    timer.unref?.();
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      clearTimeout(timer);
      this.viewers.delete(ws);
      for (const u of unwatch) u();
    });
    ws.on("message", (data, isBinary) => {
      if (resumed) return;
      const resume = isBinary ? null : parseFeedResume(data.toString());
      if (!resume)
        return this.close(ws, driverFeedCloseCodes.badMessage, "expected a resume message", "bad_message");
      resumed = true;
      clearTimeout(timer);
      this.start(ws, viewer, resume, unwatch);
    });
  }

  private start(ws: WebSocket, viewer: Viewer, resume: FeedResume, unwatch: (() => void)[]): void {
    const hub = this.deps.hub;
    const maySee = (sessionId: string) =>
      viewer.kind === "session"
        ? sessionId === viewer.sessionId
        : viewer.contracts.has(hub.contractOf(sessionId) ?? "");
    const positions = new Map<string, number>();
    for (const p of resume.positions) if (maySee(p.sessionId)) positions.set(p.sessionId, p.seq);
    const latest =
      viewer.kind === "session"
        ? [hub.latest(viewer.sessionId)].filter((f): f is FeedFrame => f !== null)
        : hub.latestOfContracts(viewer.contracts, DRIVER_FEED_MAX_RESUME);
    const hello: FeedHello = {
      type: "hello",
      subject:
        viewer.kind === "session"
          ? { kind: "session", sessionId: viewer.sessionId }
          : { kind: "account", accountId: viewer.accountId },
      source: "cloud",
      sessions: latest.filter((f) => !positions.has(f.figures.sessionId)),
      atMs: this.deps.clock.now(),
    };
    if (!this.send(ws, viewer, JSON.stringify(hello))) return;
    for (const [sessionId, seq] of positions)
      for (const d of hub.since(sessionId, seq)) {
        const text =
          d.kind === "frame" ? this.text(d.frame) : JSON.stringify({ type: "reset", frame: d.frame });
        if (!this.send(ws, viewer, text)) return;
      }
    const onFrame = (f: FeedFrame) => void this.send(ws, viewer, this.text(f));
    if (viewer.kind === "session") unwatch.push(hub.watchSession(viewer.sessionId, onFrame));
    else for (const c of viewer.contracts) unwatch.push(hub.watchContract(c, onFrame));
  }

  /** Sends or drops: a viewer past its queue bound or its credential's expiry is closed. Returns whether it is still open. */
  private send(ws: WebSocket, viewer: Viewer, text: string): boolean {
    if (ws.readyState !== ws.OPEN) return false;
    if (this.deps.clock.now() >= viewer.expiresAtMs) {
      this.close(ws, driverFeedCloseCodes.expired, "credential expired", "expired");
      return false;
    }
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.dropped.inc({ reason: "too_slow" });
      this.viewers.delete(ws);
      ws.terminate();
      return false;
    }
    ws.send(text);
    this.framesSent.inc();
    return true;
  }

  private text(f: FeedFrame): string {
    let t = this.serialized.get(f);
    if (t === undefined) this.serialized.set(f, (t = JSON.stringify(f)));
    return t;
  }

  private close(ws: WebSocket, code: number, why: string, reason: string): void {
    this.dropped.inc({ reason });
    ws.close(code, why);
  }

  /** Terminates every viewer and closes the server. */
  async closeAll(): Promise<void> {
    for (const ws of this.viewers) ws.terminate();
    this.viewers.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
