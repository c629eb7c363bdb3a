/**
 * The server side of bench:live, in its own process so its memory is its own. Mode `gateway`: the
 * cloud's driver live feed (DriverGateway, SessionFeedHub, LiveFrameProducer on the in-process bus)
 * behind a plain node:http server, viewers authenticated by an account token. Mode `ws`: the
 * baseline, a plain `ws` server broadcasting the same frame text to every client. Each published
 * reading carries its send time (µs since the epoch) in `siteTimeMs` so viewers measure latency.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { liveTelemetryMessage, systemClock } from "@chargemesh/shared-model";
import type { FeedFrame } from "@chargemesh/shared-model/contracts";
import {
  AccountTokens,
  CredentialBudget,
  DriverAccounts,
  DriverGateway,
  LiveFrameProducer,
  LocalFrameBus,
  SessionFeedHub,
  SiteTokenKeyring,
  addDemoAccounts,
} from "@chargemesh/cloud-peer";
import { serveRequests } from "../syncCapacity/ipc.js";

export type ServerRequest =
  | { cmd: "start"; mode: "gateway" | "ws" }
  | { cmd: "memory" }
  | { cmd: "publish"; count: number; intervalMs: number }
  | { cmd: "stop" };

const CONTRACT = "DE-CMX-C00000001-1";
const SESSION = "bench-site:01BENCHSESSION0000000000";
const nowMicros = () => Date.now() * 1000;
const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

let publish: (i: number, energyWh: number) => void = () => undefined;
let viewers: () => number = () => 0;
let close: () => Promise<void> = async () => undefined;

async function start(mode: "gateway" | "ws"): Promise<{ url: string; token: string | null }> {
  const server = createServer();
  server.maxConnections = 1_000_000;
  let token: string | null = null;
  if (mode === "gateway") {
    const accounts = new DriverAccounts();
    const [account] = addDemoAccounts(
      accounts,
      [
        {
          email: "bench@chargemesh.test",
          name: "Bench",
          contracts: [
            { contractId: CONTRACT, vehicleName: "Bench EV", batteryWh: 60_000, connector: "ccs2" },
          ],
        },
      ],
      random,
    );
    const accountTokens = new AccountTokens(random(32), systemClock);
    token = accountTokens.issue(account!.accountId).token;
    const hub = new SessionFeedHub();
    const bus = new LocalFrameBus();
    bus.onEnvelope((e) => hub.ingest(e));
    const gateway = new DriverGateway(
      {
        hub,
        budget: new CredentialBudget(systemClock),
        clock: systemClock,
        accounts,
        accountTokens,
        siteTokenKeys: new SiteTokenKeyring(),
      },
      { maxViewers: 1_000_000, resumeTimeoutMs: 120_000 },
    );
    server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
    const producer = new LiveFrameProducer(
      {
        session: () => ({ contractId: CONTRACT, startedAtMs: 0 }),
        tariffs: () => [
          { id: "t", energyMinorPerKWh: 45, sessionFeeMinor: 50, currency: "EUR", validFromMs: 0 },
        ],
      },
      bus,
    );
    publish = (i, energyWh) =>
      producer.onTelemetry(
        liveTelemetryMessage("bench-site", i, nowMicros(), [
          {
            stallId: "s1",
            phase: "charging",
            sessionId: SESSION,
            powerW: 50_000,
            sessionEnergyWh: energyWh,
            grantedW: 50_000,
          },
        ]),
      );
    viewers = () => gateway.viewerCount;
    close = () => gateway.closeAll();
  } else {
    const wss = new WebSocketServer({ server, perMessageDeflate: false });
    publish = (i, energyWh) => {
      const frame: FeedFrame = {
        type: "frame",
        seq: i,
        figures: {
          sessionId: SESSION,
          siteId: "bench-site",
          stallId: "s1",
          phase: "charging",
          powerW: 50_000,
          energyWh,
          costMinor: 50 + Math.round((energyWh * 45) / 1000),
          currency: "EUR",
          socPermille: null,
          minutesToTarget: null,
          siteTimeMs: nowMicros(),
        },
      };
      const text = JSON.stringify(frame);
      for (const c of wss.clients) c.send(text);
    };
    viewers = () => wss.clients.size;
    close = async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
    };
  }
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", 4_096, () => r()));
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`, token };
}

serveRequests(async (req: ServerRequest) => {
  switch (req.cmd) {
    case "start":
      return start(req.mode);
    case "memory":
      (globalThis as { gc?: () => void }).gc?.();
      return {
        rssBytes: process.memoryUsage().rss,
        heapUsedBytes: process.memoryUsage().heapUsed,
        viewers: viewers(),
      };
    case "publish":
      for (let i = 1; i <= req.count; i++) {
        publish(i, i * 70);
        await new Promise((r) => setTimeout(r, req.intervalMs));
      }
      return { published: req.count };
    case "stop":
      await close();
      setImmediate(() => process.exit(0));
      return null;
  }
});
