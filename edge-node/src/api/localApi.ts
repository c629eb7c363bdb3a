import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import type { Registry } from "prom-client";
import { ChargemeshError, httpStatusOf, sessionId as toSessionId, stallId as toStallId } from "@chargemesh/shared-model";
import type { Clock, SessionId, SiteId, TechnicianId } from "@chargemesh/shared-model";
import type { SessionOrchestrator, TelemetryFrame } from "../session/sessionOrchestrator.js";
import type { SessionEntry, SessionJournal } from "../session/sessionJournal.js";
import { technicianFromToken } from "./technicianAuth.js";

/** Checks a car's or phone's session token; returns the one session it may read, or an error. */
export type SessionTokenCheck = (token: string) => { ok: true; sessionId: SessionId } | { ok: false; code: string; message: string };

export interface LocalApiDeps {
  readonly siteId: SiteId;
  readonly clock: Clock;
  readonly gridLimitW: () => number;
  readonly orchestrator: SessionOrchestrator;
  readonly journal: SessionJournal;
  readonly technicians: readonly { readonly id: TechnicianId; readonly tokenSha256: string }[];
  readonly checkSessionToken: SessionTokenCheck | null;
  readonly currentPlan: () => unknown;
  readonly metrics: Registry;
  /** Extra static files (the kiosk build), served under / when present. */
  readonly staticHandler?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface LocalApi {
  readonly url: string;
  close(): Promise<void>;
}

type Caller = { kind: "technician"; id: TechnicianId } | { kind: "session"; sessionId: SessionId } | { kind: "public" };

/**
 * The site's local HTTP + WebSocket API for the kiosk and the car: reads are open at site level,
 * session data needs that session's token (or a technician), actions need a technician credential
 * and are recorded with who did them. Errors are JSON `{error: {code, message}}` with mapped statuses.
 */
export async function startLocalApi(deps: LocalApiDeps, host: string, port: number): Promise<LocalApi> {
  const server: Server = createServer((req, res) => {
    handle(deps, req, res).catch((e) => sendError(res, e));
  });
  const wss = new WebSocketServer({ noServer: true });
  const subscribers = new Map<WebSocket, Caller>();

  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://local");
    if (url.pathname !== "/live") return socket.destroy();
    const caller = identify(deps, req, url);
    if (caller instanceof ChargemeshError) {
      socket.write(`HTTP/1.1 ${httpStatusOf[caller.code]} Unauthorized\r\n\r\n`);
      return socket.destroy();
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      subscribers.set(ws, caller);
      ws.on("close", () => subscribers.delete(ws));
      ws.send(JSON.stringify({ type: "hello", siteId: deps.siteId, stalls: deps.orchestrator.stallViews().map((v) => publicStall(v, caller)) }));
    });
  });

  const onTelemetry = (frame: TelemetryFrame) => {
    for (const [ws, caller] of subscribers) {
      if (caller.kind === "technician" || (caller.kind === "session" && caller.sessionId === frame.sessionId)) {
        ws.send(JSON.stringify({ type: "telemetry", ...frame }));
      } else if (caller.kind === "public") {
        ws.send(JSON.stringify({ type: "telemetry", atMs: frame.atMs, stallId: frame.stallId, powerW: frame.powerW }));
      }
    }
  };
  const onSession = (entry: SessionEntry) => {
    for (const [ws, caller] of subscribers) {
      if (caller.kind === "technician" || (caller.kind === "session" && caller.sessionId === entry.sessionId)) {
        ws.send(JSON.stringify({ type: "session", session: entry }));
      }
    }
  };
  deps.orchestrator.on("telemetry", onTelemetry);
  deps.orchestrator.on("session", onSession);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host}:${addr.port}`,
    close: async () => {
      deps.orchestrator.off("telemetry", onTelemetry);
      deps.orchestrator.off("session", onSession);
      for (const ws of subscribers.keys()) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function bearer(req: IncomingMessage, url: URL): string | null {
  const h = req.headers.authorization;
  if (h && h.startsWith("Bearer ")) return h.slice(7).trim();
  return url.searchParams.get("token");
}

function identify(deps: LocalApiDeps, req: IncomingMessage, url: URL): Caller | ChargemeshError {
  const token = bearer(req, url);
  if (!token) return { kind: "public" };
  const tech = technicianFromToken(token, deps.technicians);
  if (tech) return { kind: "technician", id: tech };
  if (deps.checkSessionToken) {
    const r = deps.checkSessionToken(token);
    if (r.ok) return { kind: "session", sessionId: r.sessionId };
    return new ChargemeshError("unauthorized", `session token refused: ${r.code}: ${r.message}`);
  }
  return new ChargemeshError("unauthorized", "unknown credential");
}

function publicStall(v: ReturnType<SessionOrchestrator["stallViews"]>[number], caller: Caller) {
  if (caller.kind === "technician") return v;
  return { stallId: v.stallId, phase: v.phase, powerW: v.powerW, meterFault: v.meterFault };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new ChargemeshError("invalid_input", "request body over 64 KiB");
    chunks.push(c as Buffer);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw new ChargemeshError("malformed_json", `request body is not a JSON object: ${(e as Error).message}`);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ChargemeshError ? e : new ChargemeshError("internal", String((e as Error)?.message ?? e));
  if (!res.headersSent) send(res, httpStatusOf[err.code], { error: { code: err.code, message: err.message } });
  else res.end();
}

function requireTechnician(caller: Caller): TechnicianId {
  if (caller.kind !== "technician") throw new ChargemeshError("unauthorized", "a technician credential is required");
  return caller.id;
}

async function handle(deps: LocalApiDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const path = url.pathname;
  const method = req.method ?? "GET";
  if (method === "GET" && path === "/healthz") return send(res, 200, { ok: true, siteId: deps.siteId });
  if (method === "GET" && path === "/metrics") {
    res.writeHead(200, { "content-type": deps.metrics.contentType });
    res.end(await deps.metrics.metrics());
    return;
  }
  if (!path.startsWith("/api/")) {
    if (deps.staticHandler?.(req, res)) return;
    throw new ChargemeshError("not_found", `no route ${method} ${path}`);
  }
  const caller = identify(deps, req, url);
  if (caller instanceof ChargemeshError) throw caller;

  if (method === "GET" && path === "/api/site") {
    return send(res, 200, {
      siteId: deps.siteId,
      gridLimitW: deps.gridLimitW(),
      stalls: deps.orchestrator.stallViews().map((v) => publicStall(v, caller)),
    });
  }
  if (method === "GET" && path === "/api/power/plan") return send(res, 200, { plan: deps.currentPlan() });
  if (method === "GET" && path === "/api/sessions") {
    requireTechnician(caller);
    const limit = Math.min(500, Math.max(1, Number(url.searchParams.get("limit") ?? 50) || 50));
    return send(res, 200, { sessions: deps.journal.recent(limit) });
  }
  const sessionMatch = /^\/api\/sessions\/([^/]+)$/.exec(path);
  if (method === "GET" && sessionMatch) {
    const id = toSessionId(decodeURIComponent(sessionMatch[1]!));
    if (caller.kind === "public") throw new ChargemeshError("unauthorized", "a session token or technician credential is required");
    if (caller.kind === "session" && caller.sessionId !== id) throw new ChargemeshError("forbidden", "this token is for another session");
    const entry = deps.journal.get(id);
    if (!entry) throw new ChargemeshError("not_found", `no session ${id}`);
    return send(res, 200, { session: entry });
  }
  const actionMatch = /^\/api\/stalls\/([^/]+)\/(stop|out-of-service)$/.exec(path);
  if (method === "POST" && actionMatch) {
    const technician = requireTechnician(caller);
    const stall = toStallId(decodeURIComponent(actionMatch[1]!));
    const body = await readJson(req);
    const note = typeof body.note === "string" ? body.note.slice(0, 500) : "";
    if (actionMatch[2] === "stop") {
      const sessionId = deps.orchestrator.activeSessionOf(stall);
      if (!deps.orchestrator.requestStop(stall, "technician_stop", technician)) {
        throw new ChargemeshError("conflict", `stall ${stall} has no active session`);
      }
      await deps.journal.recordTechnicianAction({ at: deps.clock.now(), technicianId: technician, action: "stop_session", stallId: stall, sessionId, note });
      return send(res, 202, { accepted: true, sessionId });
    }
    if (typeof body.outOfService !== "boolean") throw new ChargemeshError("invalid_input", "body.outOfService must be true or false");
    if (!(await deps.orchestrator.setOutOfService(stall, body.outOfService, technician, note))) {
      throw new ChargemeshError("not_found", `no stall ${stall}`);
    }
    return send(res, 200, { stallId: stall, outOfService: body.outOfService });
  }
  throw new ChargemeshError("not_found", `no route ${method} ${path}`);
}
