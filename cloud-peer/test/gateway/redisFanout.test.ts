import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, test } from "vitest";
import { Redis } from "ioredis";
import WebSocket from "ws";
import { liveTelemetryMessage, systemClock } from "@chargemesh/shared-model";
import { driverFeedProtocols, parseFeedServerMessage } from "@chargemesh/shared-model/contracts";
import type { FeedServerMessage } from "@chargemesh/shared-model/contracts";
import { serviceGate } from "../../../testing/requireService.js";
import { DriverAccounts } from "../../src/accounts/driverAccounts.js";
import { AccountTokens } from "../../src/accounts/accountTokens.js";
import { addDemoAccounts } from "../../src/accounts/demoAccounts.js";
import { DriverGateway } from "../../src/gateway/driverGateway.js";
import { LiveFrameProducer } from "../../src/gateway/liveFrameProducer.js";
import { RedisFrameBus } from "../../src/gateway/redisFrameBus.js";
import { SessionFeedHub } from "../../src/gateway/sessionFeedHub.js";
import { SiteTokenKeyring } from "../../src/gateway/viewerAuth.js";
import { CredentialBudget } from "../../src/http/credentialBudget.js";

const run = await serviceGate("Redis", "127.0.0.1", 6379);
const connections: Redis[] = [];
const redis = () => {
  const r = new Redis({ host: "127.0.0.1", port: 6379, maxRetriesPerRequest: 2 });
  connections.push(r);
  return r;
};
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const r of connections) r.disconnect();
});

const CONTRACT = "DE-CMX-C00000001-1";
const bytes = (n: number) => new Uint8Array(n).fill(5);

/** One gateway process's parts: a Redis bus on the shared channel, a hub, the WebSocket gateway. */
async function gatewayProcess(channel: string, accounts: DriverAccounts, tokens: AccountTokens) {
  const bus = await RedisFrameBus.open(redis(), redis(), channel);
  const hub = new SessionFeedHub();
  bus.onEnvelope((e) => hub.ingest(e));
  const gateway = new DriverGateway({
    hub,
    budget: new CredentialBudget(systemClock),
    clock: systemClock,
    accounts,
    accountTokens: tokens,
    siteTokenKeys: new SiteTokenKeyring(),
  });
  const server = createServer();
  server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  closers.push(async () => {
    await gateway.closeAll();
    await bus.close();
    await new Promise((r) => server.close(r));
  });
  return { bus, hub, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/live` };
}

test.skipIf(!run)(
  "a session reported to one gateway process reaches a phone on another through Redis, in order, once",
  async () => {
    const channel = `chargemesh:test:live:${randomUUID()}`;
    const accounts = new DriverAccounts();
    const [alice] = addDemoAccounts(
      accounts,
      [
        {
          email: "alice@chargemesh.test",
          name: "Alice",
          contracts: [{ contractId: CONTRACT, vehicleName: "A", batteryWh: 60_000, connector: "ccs2" }],
        },
      ],
      bytes,
    );
    const tokens = new AccountTokens(bytes(32), systemClock);
    const a = await gatewayProcess(channel, accounts, tokens);
    const b = await gatewayProcess(channel, accounts, tokens);
    const producer = new LiveFrameProducer(
      {
        session: () => ({ contractId: CONTRACT, startedAtMs: 0 }),
        tariffs: () => [
          { id: "t", energyMinorPerKWh: 40, sessionFeeMinor: 0, currency: "EUR", validFromMs: 0 },
        ],
      },
      a.bus,
    );

    const messages: FeedServerMessage[] = [];
    const ws = new WebSocket(b.url, driverFeedProtocols(tokens.issue(alice!.accountId).token));
    await new Promise<void>((resolve, reject) => {
      ws.on("open", () => resolve());
      ws.on("error", reject);
    });
    ws.on("message", (d) => {
      const m = parseFeedServerMessage(d.toString());
      if (m) messages.push(m);
    });
    ws.send(JSON.stringify({ type: "resume", positions: [] }));
    for (let i = 1; i <= 20; i++)
      producer.onTelemetry(
        liveTelemetryMessage("site-1", i, i * 5_000, [
          {
            stallId: "s1",
            phase: "charging",
            sessionId: "site-1:fanout-session",
            powerW: 11_000,
            sessionEnergyWh: i * 15,
            grantedW: 11_000,
          },
        ]),
      );
    producer.onTelemetry(
      liveTelemetryMessage("site-1", 21, 105_000, [
        { stallId: "s1", phase: "available", sessionId: null, powerW: 0, sessionEnergyWh: 0, grantedW: 0 },
      ]),
    );
    for (let i = 0; i < 500 && messages.filter((m) => m.type === "frame").length < 21; i++)
      await new Promise((r) => setTimeout(r, 10));
    const frames = messages.flatMap((m) => (m.type === "frame" ? [m] : []));
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(frames[19]!.figures).toMatchObject({
      energyWh: 300,
      costMinor: 12,
      currency: "EUR",
      phase: "charging",
    });
    expect(frames[20]!.figures.phase).toBe("ended");
    expect(a.hub.latest("site-1:fanout-session")?.seq).toBe(21);
    ws.close();
  },
);
