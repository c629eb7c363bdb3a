import { randomUUID } from "node:crypto";
import type { WebSocket } from "ws";
import type { OcppErrorCode, OcppSchemaValidator } from "./ocppSchemaValidator.js";

/** A CALL the station made; the handler's answer is validated before it goes out. */
export type OcppCallHandler = (
  action: string,
  payload: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

/** The outcome of a call the CSMS made: the station's validated response, or why there is none. */
export type OcppCallResult =
  | { readonly ok: true; readonly payload: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly code: OcppErrorCode | "Timeout" | "Closed" | "QueueFull";
      readonly message: string;
    };

export interface OcppRpcOptions {
  readonly validator: OcppSchemaValidator;
  readonly handler: OcppCallHandler;
  /** How long the station has to answer one of our calls, ms (real time: a transport bound). */
  readonly callTimeoutMs?: number;
  /** Calls waiting to go out (one is in flight at a time, as OCPP-J requires); beyond this they fail. */
  readonly maxQueuedCalls?: number;
  /** Station calls being handled at once; a station flooding beyond this gets RpcFrameworkError. */
  readonly maxInboundCalls?: number;
  readonly log?: { warn(o: object, m?: string): void };
}

interface Outgoing {
  readonly id: string;
  readonly action: string;
  readonly payload: Record<string, unknown>;
  readonly resolve: (r: OcppCallResult) => void;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * OCPP-J framing over one WebSocket (CALL [2], CALLRESULT [3], CALLERROR [4]), every payload checked
 * against the official 2.0.1 schemas in both directions. Our calls are serialized (one in flight) and
 * never throw: a timeout, a closed socket, a CALLERROR or an invalid response is a result value.
 * Hostile frames get a CALLERROR and change nothing.
 */
export class OcppRpcConnection {
  private readonly queue: Outgoing[] = [];
  private inFlight: (Outgoing & { timer: NodeJS.Timeout }) | null = null;
  private inbound = 0;
  private closed = false;
  private readonly closeListeners = new Set<() => void>();

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: OcppRpcOptions,
  ) {
    ws.on("message", (data, isBinary) => {
      if (isBinary) return this.send([4, "-1", "RpcFrameworkError", "binary frames are not OCPP-J", {}]);
      this.receive(data.toString());
    });
    ws.on("close", () => this.shutdown());
    ws.on("error", () => this.shutdown());
  }

  /** Calls and responses not yet settled (tests wait for this to reach 0 before moving virtual time). */
  busy(): number {
    return this.queue.length + (this.inFlight ? 1 : 0) + this.inbound;
  }

  isOpen(): boolean {
    return !this.closed;
  }

  onClose(listener: () => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Sends a CALL once the previous one is settled; resolves with the station's validated answer. */
  call(action: string, payload: Record<string, unknown>): Promise<OcppCallResult> {
    const bad = this.opts.validator.check(action, "req", payload);
    if (bad) return Promise.resolve({ ok: false, code: bad.code, message: `our own ${bad.message}` });
    if (this.closed) return Promise.resolve({ ok: false, code: "Closed", message: "connection closed" });
    if (this.queue.length >= (this.opts.maxQueuedCalls ?? 64))
      return Promise.resolve({
        ok: false,
        code: "QueueFull",
        message: "too many calls waiting for this station",
      });
    return new Promise((resolve) => {
      this.queue.push({ id: randomUUID(), action, payload, resolve });
      this.pump();
    });
  }

  close(code = 1000, reason = ""): void {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
    this.shutdown();
  }

  private pump(): void {
    if (this.inFlight || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    const timer = setTimeout(
      () =>
        this.settle(next.id, { ok: false, code: "Timeout", message: `${next.action}: no answer in time` }),
      this.opts.callTimeoutMs ?? 30_000,
    );
    this.inFlight = { ...next, timer };
    this.send([2, next.id, next.action, next.payload]);
  }

  private settle(id: string, result: OcppCallResult): void {
    const f = this.inFlight;
    if (!f || f.id !== id) return;
    clearTimeout(f.timer);
    this.inFlight = null;
    f.resolve(result);
    this.pump();
  }

  private receive(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.send([4, "-1", "RpcFrameworkError", "not JSON", {}]);
    }
    if (!Array.isArray(frame) || typeof frame[1] !== "string" || frame[1].length > 36)
      return this.send([4, "-1", "RpcFrameworkError", "not an OCPP-J frame", {}]);
    const [type, id] = frame as [unknown, string];
    if (type === 2) return void this.answer(id, frame[2], frame[3]);
    if (type === 3) {
      const f = this.inFlight;
      if (!f || f.id !== id) return; // late or unknown answer: nothing waits for it
      const payload = frame[2];
      const bad = isObject(payload)
        ? this.opts.validator.check(f.action, "conf", payload)
        : { code: "FormatViolation" as const, message: "payload is not an object" };
      this.settle(
        id,
        bad
          ? { ok: false, code: bad.code, message: bad.message }
          : { ok: true, payload: payload as Record<string, unknown> },
      );
      return;
    }
    if (type === 4) {
      const code = typeof frame[2] === "string" ? (frame[2] as OcppErrorCode) : "GenericError";
      return this.settle(id, { ok: false, code, message: typeof frame[3] === "string" ? frame[3] : "" });
    }
    this.send([4, id, "MessageTypeNotSupported", `message type ${String(type)}`, {}]);
  }

  private async answer(id: string, action: unknown, payload: unknown): Promise<void> {
    if (typeof action !== "string")
      return this.send([4, id, "FormatViolation", "action is not a string", {}]);
    if (this.inbound >= (this.opts.maxInboundCalls ?? 8))
      return this.send([4, id, "RpcFrameworkError", "too many calls at once", {}]);
    const bad = isObject(payload)
      ? this.opts.validator.check(action, "req", payload)
      : { code: "FormatViolation" as const, message: "payload is not an object" };
    if (bad) return this.send([4, id, bad.code, bad.message.slice(0, 255), {}]);
    this.inbound++;
    try {
      const response = await this.opts.handler(action, payload as Record<string, unknown>);
      const wrong = this.opts.validator.check(action, "conf", response);
      if (wrong) {
        this.opts.log?.warn(
          { action, why: wrong.message },
          "our OCPP response does not match the schema; sent InternalError",
        );
        this.send([4, id, "InternalError", "response failed validation", {}]);
      } else this.send([3, id, response]);
    } catch (e) {
      const code = (e as { ocppCode?: OcppErrorCode }).ocppCode ?? "InternalError";
      this.send([4, id, code, String((e as Error).message ?? e).slice(0, 255), {}]);
    } finally {
      this.inbound--;
    }
  }

  private send(frame: unknown[]): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(frame));
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const pending = [...(this.inFlight ? [this.inFlight] : []), ...this.queue.splice(0)];
    if (this.inFlight) clearTimeout(this.inFlight.timer);
    this.inFlight = null;
    for (const p of pending) p.resolve({ ok: false, code: "Closed", message: "connection closed" });
    for (const l of this.closeListeners) l();
  }
}

/** An error a handler throws to answer with a specific OCPP CALLERROR code. */
export class OcppCallError extends Error {
  constructor(
    readonly ocppCode: OcppErrorCode,
    message: string,
  ) {
    super(message);
  }
}
