import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import fastifyStatic from "@fastify/static";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { systemClock } from "@chargemesh/shared-model";
import type { Clock, ConfigDocument } from "@chargemesh/shared-model";
import { cloudApiPaths } from "@chargemesh/shared-model/contracts";
import type { ConnectorType } from "@chargemesh/shared-model/contracts";
import type { CloudPeer } from "../sync/cloudPeer.js";
import { DriverAccounts } from "../accounts/driverAccounts.js";
import { AccountTokens } from "../accounts/accountTokens.js";
import type { AvailabilityIndex } from "../availability/availabilityIndex.js";
import { MemoryAvailabilityIndex } from "../availability/memoryAvailabilityIndex.js";
import { availabilityFromTelemetry } from "../availability/availabilityFeeder.js";
import { DriverGateway } from "../gateway/driverGateway.js";
import type { DriverGatewayLimits } from "../gateway/driverGateway.js";
import { LocalFrameBus } from "../gateway/feedEnvelope.js";
import type { FrameBus } from "../gateway/feedEnvelope.js";
import { LiveFrameProducer } from "../gateway/liveFrameProducer.js";
import { SessionFeedHub } from "../gateway/sessionFeedHub.js";
import { SiteJournalFacts } from "../gateway/siteJournalFacts.js";
import { tariffAt } from "../gateway/costSoFar.js";
import { SiteTokenKeyring } from "../gateway/viewerAuth.js";
import type { SiteTokenKeys } from "../gateway/viewerAuth.js";
import { accountRoutes } from "./accountRoutes.js";
import { ApiError, apiErrorBody, statusOfApiError, toApiError } from "./apiError.js";
import type { BillingView } from "./billingView.js";
import { limitConnections } from "./connectionLimits.js";
import type { ConnectionLimitOptions } from "./connectionLimits.js";
import { CredentialBudget } from "./credentialBudget.js";
import type { CredentialBudgetOptions } from "./credentialBudget.js";
import { operatorRoutes } from "./operatorRoutes.js";
import { RequestAuth } from "./requestAuth.js";
import { stationRoutes } from "./stationRoutes.js";

/** Limits applied before authentication (docs/security.md lists them with their defaults). */
export interface CloudApiLimits extends ConnectionLimitOptions {
  /** Request body at most (default 16 KiB). */
  readonly bodyBytes?: number;
  /** Request headers at most: total size (default 16 KiB) and count (default 64). */
  readonly headerBytes?: number;
  readonly headerCount?: number;
  /** A request must arrive whole within this (default 10 s); idle keep-alive sockets close after 5 s. */
  readonly requestTimeoutMs?: number;
  readonly credentials?: CredentialBudgetOptions;
  readonly liveFeed?: DriverGatewayLimits;
}

export interface CloudApiOptions {
  readonly clock?: Clock;
  readonly random?: (n: number) => Uint8Array;
  /** The operator's bearer token; absent, one is drawn at start (read it from `CloudApi.operatorToken`). */
  readonly operatorToken?: string;
  readonly accounts?: DriverAccounts;
  /** Key of account tokens, shared by the gateway processes of one deployment; absent, drawn at start. */
  readonly accountTokenKey?: Uint8Array;
  /** Site token keys the live feed trusts for cars' session tokens. */
  readonly siteTokenKeys?: SiteTokenKeys;
  readonly billing?: BillingView;
  /** Shared by several gateway processes (Redis); absent, in memory. */
  readonly availability?: AvailabilityIndex;
  /** The connector type of each stall (site catalogue); absent, "unspecified". */
  readonly connectorOf?: (siteId: string, stallId: string) => ConnectorType;
  /** Live fan-out between gateway processes (RedisFrameBus); absent, this process only. */
  readonly bus?: FrameBus;
  /** A built driver app (driver-app/dist) served at `/`. */
  readonly driverAppDir?: string;
  readonly limits?: CloudApiLimits;
  /** More metrics served on `/metrics` (e.g. billing's registry). */
  readonly metrics?: readonly Registry[];
  readonly log?: Logger;
}

export interface CloudApi {
  readonly url: string;
  /** The operator's bearer token (for `/api/sites`, `/metrics`). */
  readonly operatorToken: string;
  readonly accounts: DriverAccounts;
  readonly siteTokenKeys: SiteTokenKeys;
  readonly hub: SessionFeedHub;
  readonly gateway: DriverGateway;
  readonly availability: AvailabilityIndex;
  close(): Promise<void>;
}

/**
 * The cloud peer's HTTP face on fastify: public health, station finder and driver app; the phone's
 * account routes (account token); the operator's sites, live figures and metrics (operator token);
 * the driver live feed WebSocket at `/api/live`. Limits before authentication; every error is JSON
 * `{error: {code, message}}` with its status from `statusOfApiError`. No request ends the process.
 */
export async function startCloudApi(
  peer: CloudPeer,
  host: string,
  port: number,
  opts: CloudApiOptions = {},
): Promise<CloudApi> {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const limits = opts.limits ?? {};
  const operatorToken = opts.operatorToken ?? Buffer.from(random(24)).toString("base64url");
  const accounts = opts.accounts ?? new DriverAccounts();
  const accountTokens = new AccountTokens(opts.accountTokenKey ?? random(32), clock);
  const siteTokenKeys = opts.siteTokenKeys ?? new SiteTokenKeyring();
  const budget = new CredentialBudget(clock, limits.credentials);
  const auth = new RequestAuth(operatorToken, accountTokens, budget);
  const availability = opts.availability ?? new MemoryAvailabilityIndex();
  const facts = new SiteJournalFacts(
    peer,
    (siteId) => peer.currentDoc(peer.configs.urlOf(siteId)) as ConfigDocument | null,
    clock,
  );
  const hub = new SessionFeedHub();
  const bus = opts.bus ?? new LocalFrameBus();
  bus.onEnvelope((e) => hub.ingest(e));
  const producer = new LiveFrameProducer(facts, bus);
  const connectorOf = opts.connectorOf ?? (() => "unspecified" as const);
  const unsubscribe = peer.live.subscribeAll((m, receivedAtMs) => {
    producer.onTelemetry(m);
    const tariff = tariffAt(facts.tariffs(m.siteId), clock.now());
    const price = tariff
      ? {
          currency: tariff.currency,
          energyMinorPerKWh: tariff.energyMinorPerKWh,
          sessionFeeMinor: tariff.sessionFeeMinor,
        }
      : null;
    availability
      .report(availabilityFromTelemetry(m, receivedAtMs, connectorOf, price))
      .catch((e) => opts.log?.warn({ err: String(e) }, "availability report failed"));
  });
  const gateway = new DriverGateway(
    { hub, budget, clock, accounts, accountTokens, siteTokenKeys, ...(opts.log ? { log: opts.log } : {}) },
    limits.liveFeed,
  );

  const app = Fastify({
    logger: false,
    bodyLimit: limits.bodyBytes ?? 16_384,
    maxParamLength: 200,
    connectionTimeout: limits.requestTimeoutMs ?? 10_000,
    requestTimeout: limits.requestTimeoutMs ?? 10_000,
    keepAliveTimeout: 5_000,
    http: { maxHeaderSize: limits.headerBytes ?? 16_384 },
    return503OnClosing: true,
  });
  app.server.maxHeadersCount = limits.headerCount ?? 64;
  app.server.headersTimeout = limits.requestTimeoutMs ?? 10_000;
  limitConnections(app.server, limits);
  app.server.on("clientError", (_e, socket) => {
    if (socket.writable)
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });
  app.server.on("upgrade", (req, socket, head) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === cloudApiPaths.live) gateway.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  app.setErrorHandler((e, _req, reply) => {
    const error = toApiError(e);
    if (error.code === "internal") opts.log?.error({ err: String(e) }, "cloud API handler failed");
    void reply
      .status(statusOfApiError[error.code])
      .header("cache-control", "no-store")
      .send(apiErrorBody(error));
  });
  app.addHook("onSend", async (_req, reply, payload) => {
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    return payload;
  });

  app.get("/healthz", async () => ({ ok: true }));
  stationRoutes(app, availability, clock);
  accountRoutes(app, { auth, accounts, accountTokens, facts, billing: opts.billing ?? null });
  operatorRoutes(app, peer, auth, [gateway.registry, ...(opts.metrics ?? [])]);

  const appDir = opts.driverAppDir && existsSync(opts.driverAppDir) ? opts.driverAppDir : null;
  if (appDir)
    await app.register(fastifyStatic, { root: appDir, prefix: "/", wildcard: false, cacheControl: false });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0] ?? "";
    // The app's client-side routes load its index; API paths and other methods are not found.
    if (appDir && req.method === "GET" && !path.startsWith("/api/"))
      return reply.header("cache-control", "no-cache").sendFile("index.html");
    const error = new ApiError("not_found", `no route ${req.method} ${path.slice(0, 200)}`);
    return reply.status(statusOfApiError[error.code]).send(apiErrorBody(error));
  });

  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    operatorToken,
    accounts,
    siteTokenKeys,
    hub,
    gateway,
    availability,
    close: async () => {
      unsubscribe();
      await gateway.closeAll();
      await bus.close();
      app.server.closeAllConnections();
      await app.close();
    },
  };
}
