import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import Fastify from "fastify";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fastifyWebsocket from "@fastify/websocket";
import { systemClock } from "@chargemesh/shared-model";
import { LIVE_FEED_PROTOCOL } from "@chargemesh/shared-model/contracts";
import { DEFAULT_LOCAL_API_LIMITS } from "./apiLimits.js";
import type { LocalApiLimits } from "./apiLimits.js";
import { localApiMetrics } from "./apiMetrics.js";
import { browserGuards } from "./browserGuards.js";
import { credentialOf, identifyCaller } from "./callerIdentity.js";
import type { Caller } from "./callerIdentity.js";
import { CredentialBudget } from "./credentialBudget.js";
import { kioskStatic } from "./kioskStatic.js";
import { LiveFeedHub } from "./liveFeed.js";
import type { LocalApiDeps } from "./localApiDeps.js";
import { LocalApiError, toLocalApiError } from "./localApiError.js";
import { actionRoutes } from "./actionRoutes.js";
import { readRoutes, stallsFor } from "./readRoutes.js";
import type { RouteContext } from "./readRoutes.js";

export type { LocalApiDeps } from "./localApiDeps.js";
export type { SessionTokenCheck } from "./callerIdentity.js";

export interface LocalApi {
  readonly url: string;
  /** The limits in force (defaults with the caller's overrides). */
  readonly limits: LocalApiLimits;
  close(): Promise<void>;
}

/**
 * The site's local HTTP + WebSocket API for the kiosk and the car, on fastify: limits before
 * authentication (connections, headers, body, frames, timeouts, a failed-credential budget per
 * address), credentials in headers only, Host and Origin checks for browsers. Reads of the site are
 * open; session data needs that session's token or a technician; actions need a technician and are
 * recorded with who did them. Errors are `{error: {code, message}}` with statuses from `httpStatus.ts`.
 * Serves the built kiosk at `/` when `kioskDir` is given. Rejects when it cannot listen.
 */
export async function startLocalApi(deps: LocalApiDeps, host: string, port: number): Promise<LocalApi> {
  const limits: LocalApiLimits = { ...DEFAULT_LOCAL_API_LIMITS, ...deps.limits };
  const metrics = localApiMetrics(deps.metrics);
  const budget = new CredentialBudget(limits, deps.limiterClock ?? systemClock);
  const guards = browserGuards(deps.allowedHosts ?? [], deps.allowedOrigins ?? []);
  const hub = new LiveFeedHub(limits, (n) => metrics.liveSubscribers.set(n));
  const callers = new WeakMap<FastifyRequest, Caller>();
  const sockets = new Set<Socket>();

  const app: FastifyInstance = Fastify({
    serverFactory: (handler) =>
      guardedServer(handler, limits, sockets, () =>
        metrics.refused.inc({ limit: "connections_per_address" }),
      ),
    bodyLimit: limits.maxBodyBytes,
    routerOptions: { maxParamLength: limits.maxParamLength },
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    forceCloseConnections: true,
    return503OnClosing: true,
    logger: false,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch (e) {
      done(
        new LocalApiError("malformed_json", `request body is not JSON: ${(e as Error).message}`),
        undefined,
      );
    }
  });
  app.addContentTypeParser("*", (_req, _payload, done) =>
    done(new LocalApiError("invalid_input", "request bodies are application/json"), undefined),
  );

  app.setErrorHandler((e, req, reply) => {
    const err = toLocalApiError(e);
    if (err.code === "internal")
      deps.log?.warn(
        { err: String((e as Error)?.stack ?? e), url: req.url.slice(0, 200) },
        "local API internal error",
      );
    if (err.code === "rate_limited" || err.code === "forbidden" || err.code === "too_large")
      metrics.refused.inc({ limit: err.code });
    if (err.code === "unauthorized") metrics.credentialFailures.inc();
    if (err.retryAfterS !== undefined) void reply.header("retry-after", String(err.retryAfterS));
    if (req.headers.upgrade) {
      // a refused WebSocket handshake: answer, then close the connection (it never becomes a socket)
      void reply.header("connection", "close");
      reply.raw.once("finish", () => req.raw.socket.destroy());
    }
    return reply.status(err.status).send({ error: { code: err.code, message: err.message } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: { code: "not_found", message: `no route ${req.method} ${req.url.slice(0, 200)}` } }),
  );

  app.addHook("onRequest", async (req, reply) => {
    void reply
      .header("cache-control", "no-store")
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "no-referrer");
    guards.checkHost(req.headers.host);
    if (/[?&]token=/.test(req.url))
      throw new LocalApiError(
        "invalid_input",
        "credentials go in the Authorization header, never in the URL",
      );
    if (req.url.startsWith("/api/") || req.url === "/live" || req.url.startsWith("/live?")) {
      callers.set(
        req,
        identifyCaller(credentialOf(req.headers), req.ip, {
          technicians: deps.technicians,
          checkSessionToken: deps.checkSessionToken,
          budget,
        }),
      );
    }
  });
  app.addHook("onResponse", async (req, reply) => {
    metrics.requests.inc({ route: req.routeOptions.url ?? "unmatched", status: String(reply.statusCode) });
  });

  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: limits.wsMaxPayloadBytes,
      handleProtocols: (offered: Set<string>) =>
        offered.has(LIVE_FEED_PROTOCOL) ? LIVE_FEED_PROTOCOL : false,
    },
  });

  const ctx: RouteContext = {
    deps,
    limits,
    callerOf: (req) => callers.get(req) ?? { kind: "public" },
  };
  readRoutes(app, ctx);
  actionRoutes(app, ctx);

  app.get(
    "/live",
    {
      websocket: true,
      preValidation: async (req) => {
        guards.checkOrigin(req.headers.origin, req.headers.host);
        if (!hub.hasRoom()) throw new LocalApiError("unavailable", "the live feed is full; try again later");
      },
    },
    (socket, req) => {
      const caller = ctx.callerOf(req);
      hub.add(socket, caller, { type: "hello", siteId: deps.siteId, stalls: stallsFor(deps, caller) });
    },
  );

  await kioskStatic(app, deps.kioskDir ?? null);

  const onTelemetry = hub.telemetry.bind(hub);
  const onSession = hub.session.bind(hub);
  const onStall = hub.stall.bind(hub);
  deps.orchestrator.on("telemetry", onTelemetry);
  deps.orchestrator.on("session", onSession);
  deps.orchestrator.on("stall", onStall);
  const offPlan = deps.onPlan?.((p) => hub.plan(p)) ?? (() => undefined);

  await app.listen({ host, port });
  const addr = app.server.address() as AddressInfo;
  const urlHost = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${addr.port}`,
    limits,
    close: () =>
      (closing ??= (async () => {
        deps.orchestrator.off("telemetry", onTelemetry);
        deps.orchestrator.off("session", onSession);
        deps.orchestrator.off("stall", onStall);
        offPlan();
        hub.close();
        const closed = app.close();
        for (const s of sockets) s.destroy(); // upgraded and half-open sockets too
        await closed;
      })()),
  };
}

/**
 * The node:http server under fastify, with the header limits and timeouts, the total connection
 * limit (`maxConnections`), and the per-address limit (extra connections are closed at accept).
 * Every accepted socket is in `sockets` until it closes.
 */
function guardedServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  limits: LocalApiLimits,
  sockets: Set<Socket>,
  onRefused: () => void,
): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
    },
    handler,
  );
  server.maxHeadersCount = limits.maxHeaderCount;
  server.maxConnections = limits.maxConnections;
  const perAddress = new Map<string, number>();
  server.on("connection", (socket: Socket) => {
    socket.on("error", () => socket.destroy());
    const address = socket.remoteAddress ?? "unknown";
    const n = (perAddress.get(address) ?? 0) + 1;
    if (n > limits.maxConnectionsPerAddress) {
      onRefused();
      return void socket.destroy();
    }
    perAddress.set(address, n);
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const status =
      err.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}
