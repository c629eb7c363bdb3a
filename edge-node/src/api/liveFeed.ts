import type { WebSocket } from "ws";
import type { LiveFeedMessage } from "@chargemesh/shared-model/contracts";
import type { JournalEntry } from "@chargemesh/shared-model";
import type { PlanRecord } from "../power/powerManagerTypes.js";
import type { StallView, TelemetryFrame } from "../session/sessionOrchestrator.js";
import type { Caller } from "./callerIdentity.js";
import type { LocalApiLimits } from "./apiLimits.js";
import { stallFor } from "./stallViews.js";

interface Subscriber {
  readonly caller: Caller;
  alive: boolean;
}

/**
 * The live feed's subscribers and what each may see: technicians everything, a session token its
 * own session's figures, everyone else each stall's power and the plan. A subscriber that falls
 * `wsMaxBufferedBytes` behind or misses a heartbeat is disconnected; at most `maxLiveSubscribers`.
 */
export class LiveFeedHub {
  private readonly subscribers = new Map<WebSocket, Subscriber>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly limits: Pick<
      LocalApiLimits,
      "maxLiveSubscribers" | "wsMaxBufferedBytes" | "wsHeartbeatMs"
    >,
    private readonly onCountChange: (n: number) => void,
  ) {
    this.heartbeat = setInterval(() => this.beat(), limits.wsHeartbeatMs);
    this.heartbeat.unref();
  }

  /** True when another subscriber fits. */
  hasRoom(): boolean {
    return this.subscribers.size < this.limits.maxLiveSubscribers;
  }

  /** Adds a connected socket; the hello goes out first. Every socket error ends only that socket. */
  add(ws: WebSocket, caller: Caller, hello: LiveFeedMessage): void {
    const sub: Subscriber = { caller, alive: true };
    this.subscribers.set(ws, sub);
    this.onCountChange(this.subscribers.size);
    ws.on("pong", () => (sub.alive = true));
    ws.on("message", () => undefined); // clients have nothing to say; maxPayload bounds what they try
    ws.on("error", () => ws.terminate());
    ws.on("close", () => {
      this.subscribers.delete(ws);
      this.onCountChange(this.subscribers.size);
    });
    this.send(ws, hello);
  }

  telemetry(frame: TelemetryFrame): void {
    for (const [ws, { caller }] of this.subscribers) {
      if (
        caller.kind === "technician" ||
        (caller.kind === "session" && caller.sessionId === frame.sessionId)
      ) {
        this.send(ws, { type: "telemetry", ...frame });
      } else if (caller.kind === "public") {
        this.send(ws, {
          type: "telemetry",
          atMs: frame.atMs,
          stallId: frame.stallId,
          powerW: Math.max(0, Math.floor(frame.powerW)),
        });
      }
    }
  }

  session(entry: JournalEntry): void {
    for (const [ws, { caller }] of this.subscribers) {
      if (
        caller.kind === "technician" ||
        (caller.kind === "session" && caller.sessionId === entry.sessionId)
      ) {
        this.send(ws, { type: "session", session: entry });
      }
    }
  }

  stall(view: StallView): void {
    for (const [ws, { caller }] of this.subscribers) {
      if (caller.kind !== "session") this.send(ws, { type: "stall", stall: stallFor(view, caller, null) });
    }
  }

  plan(record: PlanRecord): void {
    if (record.status === "applying") return;
    for (const [ws, { caller }] of this.subscribers) {
      if (caller.kind !== "session") this.send(ws, { type: "plan", plan: record as never });
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const ws of this.subscribers.keys()) ws.terminate();
    this.subscribers.clear();
  }

  private beat(): void {
    for (const [ws, sub] of this.subscribers) {
      if (!sub.alive) {
        ws.terminate();
        continue;
      }
      sub.alive = false;
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }

  private send(ws: WebSocket, message: LiveFeedMessage | Record<string, unknown>): void {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.limits.wsMaxBufferedBytes) return void ws.terminate();
    ws.send(JSON.stringify(message));
  }
}
