import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import WebSocket from "ws";
import { issueSessionToken, nobleEd25519, systemClock } from "@chargemesh/shared-model";
import { driverFeedProtocols, parseFeedServerMessage } from "@chargemesh/shared-model/contracts";
import type { FeedServerMessage, SessionFigures } from "@chargemesh/shared-model/contracts";
import { DriverAccounts } from "../../src/accounts/driverAccounts.js";
import { AccountTokens } from "../../src/accounts/accountTokens.js";
import { addDemoAccounts } from "../../src/accounts/demoAccounts.js";
import { DriverGateway } from "../../src/gateway/driverGateway.js";
import { LocalFrameBus } from "../../src/gateway/feedEnvelope.js";
import { SessionFeedHub } from "../../src/gateway/sessionFeedHub.js";
import { SiteTokenKeyring } from "../../src/gateway/viewerAuth.js";
import { CredentialBudget } from "../../src/http/credentialBudget.js";

const CONTRACT_A = "DE-CMX-C00000001-1";
const CONTRACT_B = "DE-CMX-C00000002-2";
const siteSeed = new Uint8Array(32).fill(7);
const bytes = (n: number) => new Uint8Array(n).fill(3);
const accounts = new DriverAccounts();
const [alice, bob] = addDemoAccounts(
  accounts,
  [
    {
      email: "alice@chargemesh.test",
      name: "Alice",
      contracts: [{ contractId: CONTRACT_A, vehicleName: "A", batteryWh: 60_000, connector: "ccs2" }],
    },
    {
      email: "bob@chargemesh.test",
      name: "Bob",
      contracts: [{ contractId: CONTRACT_B, vehicleName: "B", batteryWh: 40_000, connector: "type2" }],
    },
  ],
  bytes,
).map((a) => ({ accountId: a.accountId })) as [{ accountId: string }, { accountId: string }];
const accountTokens = new AccountTokens(bytes(32), systemClock);
const keys = new SiteTokenKeyring();
keys.trust("site-1#1", nobleEd25519.publicKey(siteSeed));
const hub = new SessionFeedHub({ framesPerSession: 64 });
const bus = new LocalFrameBus();
bus.onEnvelope((e) => hub.ingest(e));
const gateway = new DriverGateway(
  {
    hub,
    budget: new CredentialBudget(systemClock),
    clock: systemClock,
    accounts,
    accountTokens,
    siteTokenKeys: keys,
  },
  { maxBufferedBytes: 4_096, allowedOrigins: ["https://app.chargemesh.test"] },
);
const server = createServer();
server.on("upgrade", (req, socket, head) => gateway.handleUpgrade(req, socket, head));
let url = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/live`;
});
afterAll(async () => {
  await gateway.closeAll();
  await new Promise((r) => server.close(r));
});

const seqs = new Map<string, number>();
function publish(sessionId: string, contractId: string, energyWh: number): void {
  const seq = (seqs.get(sessionId) ?? 0) + 1;
  seqs.set(sessionId, seq);
  const figures: SessionFigures = {
    sessionId,
    siteId: "site-1",
    stallId: "s1",
    phase: "charging",
    powerW: 7_000,
    energyWh,
    costMinor: energyWh * 3,
    currency: "EUR",
    socPermille: null,
    minutesToTarget: null,
    siteTimeMs: energyWh,
  };
  bus.publish({ frame: { type: "frame", seq, figures }, contractId });
}

interface Client {
  readonly ws: WebSocket;
  readonly messages: FeedServerMessage[];
  closed: Promise<number>;
}
function connect(
  token: string,
  positions: { sessionId: string; seq: number }[] = [],
  headers: Record<string, string> = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, driverFeedProtocols(token), { headers });
    const messages: FeedServerMessage[] = [];
    const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
    ws.on("message", (d) => {
      const m = parseFeedServerMessage(d.toString());
      if (m) messages.push(m);
    });
    ws.on("unexpected-response", (_req, res) => reject(new Error(`status ${res.statusCode}`)));
    ws.on("error", reject);
    ws.on("open", () => {
      ws.send(JSON.stringify({ type: "resume", positions }));
      resolve({ ws, messages, closed });
    });
  });
}
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};
const frameSeqs = (c: Client, sessionId: string) =>
  c.messages.flatMap((m) => (m.type === "frame" && m.figures.sessionId === sessionId ? [m.seq] : []));

test("the phone sees only its account's sessions, the car only the session of its token", async () => {
  const aliceToken = accountTokens.issue(alice.accountId).token;
  const bobToken = accountTokens.issue(bob.accountId).token;
  const now = Date.now();
  const carToken = issueSessionToken(
    {
      sessionId: "site-1:car-session-a",
      contractId: CONTRACT_A,
      stallId: "s1",
      siteId: "site-1",
      issuedAtMs: now,
      expiresAtMs: now + 600_000,
      keyId: "site-1#1",
    },
    siteSeed,
    nobleEd25519,
  );
  const phoneA = await connect(aliceToken);
  const phoneB = await connect(bobToken);
  const car = await connect(carToken);
  await until(() => [phoneA, phoneB, car].every((c) => c.messages[0]?.type === "hello"));
  expect(car.messages[0]).toMatchObject({
    type: "hello",
    subject: { kind: "session", sessionId: "site-1:car-session-a" },
    source: "cloud",
  });
  for (let i = 1; i <= 5; i++) {
    publish("site-1:car-session-a", CONTRACT_A, i * 100);
    publish("site-1:other-session-b", CONTRACT_B, i * 100);
  }
  await until(
    () =>
      frameSeqs(phoneA, "site-1:car-session-a").length === 5 &&
      frameSeqs(phoneB, "site-1:other-session-b").length === 5 &&
      frameSeqs(car, "site-1:car-session-a").length === 5,
  );
  expect(frameSeqs(phoneA, "site-1:other-session-b")).toEqual([]);
  expect(frameSeqs(phoneB, "site-1:car-session-a")).toEqual([]);
  expect(
    car.messages.filter((m) => m.type === "frame" && m.figures.sessionId !== "site-1:car-session-a"),
  ).toEqual([]);
  for (const c of [phoneA, phoneB, car]) c.ws.close();
});

test("a reconnecting viewer resumes with no gap and no duplicate; one too far behind gets a reset", async () => {
  const token = accountTokens.issue(alice.accountId).token;
  const first = await connect(token);
  await until(() => first.messages[0]?.type === "hello");
  for (let i = 0; i < 3; i++) publish("site-1:resume-session", CONTRACT_A, 1_000 + i);
  await until(() => frameSeqs(first, "site-1:resume-session").length === 3);
  const shown = frameSeqs(first, "site-1:resume-session");
  first.ws.terminate();
  for (let i = 0; i < 4; i++) publish("site-1:resume-session", CONTRACT_A, 2_000 + i); // while away
  const second = await connect(token, [{ sessionId: "site-1:resume-session", seq: shown.at(-1)! }]);
  await until(() => frameSeqs(second, "site-1:resume-session").length === 4);
  publish("site-1:resume-session", CONTRACT_A, 3_000);
  await until(() => frameSeqs(second, "site-1:resume-session").length === 5);
  const all = [...shown, ...frameSeqs(second, "site-1:resume-session")];
  expect(all).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  const hello = second.messages[0];
  expect(
    hello?.type === "hello" && hello.sessions.some((f) => f.figures.sessionId === "site-1:resume-session"),
  ).toBe(false);
  second.ws.close();

  for (let i = 0; i < 70; i++) publish("site-1:resume-session", CONTRACT_A, 4_000 + i); // past the 64-frame ring
  const late = await connect(token, [{ sessionId: "site-1:resume-session", seq: 8 }]);
  await until(() => late.messages.some((m) => m.type === "reset"));
  const reset = late.messages.find((m) => m.type === "reset");
  expect(reset?.type === "reset" && reset.frame.seq).toBe(78);
  expect(frameSeqs(late, "site-1:resume-session")).toEqual([]);
  late.ws.close();
});

test("handshakes without a valid credential, from a foreign origin, or without a resume are refused", async () => {
  await expect(connect("not-a-token")).rejects.toThrow("status 401");
  const now = Date.now();
  const forged = issueSessionToken(
    {
      sessionId: "site-1:forged-session",
      contractId: CONTRACT_A,
      stallId: "s1",
      siteId: "site-1",
      issuedAtMs: now,
      expiresAtMs: now + 60_000,
      keyId: "site-1#1",
    },
    new Uint8Array(32).fill(9),
    nobleEd25519,
  );
  await expect(connect(forged)).rejects.toThrow("status 401");
  const token = accountTokens.issue(alice.accountId).token;
  await expect(connect(token, [], { origin: "https://evil.test" })).rejects.toThrow("status 403");
  const ok = await connect(token, [], { origin: "https://app.chargemesh.test" });
  await until(() => ok.messages[0]?.type === "hello");
  ok.ws.close();
  const silent = await new Promise<WebSocket>((resolve) => {
    const ws = new WebSocket(url, driverFeedProtocols(token));
    ws.on("open", () => {
      ws.send('{"type":"subscribe"}');
      resolve(ws);
    });
  });
  expect(await new Promise((r) => silent.on("close", (code) => r(code)))).toBe(4400);
});

test("a viewer that stops reading is dropped once its queue passes the bound; others keep receiving", async () => {
  const token = accountTokens.issue(bob.accountId).token;
  const slow = await connect(token);
  const fast = await connect(token);
  await until(() => slow.messages.length > 0 && fast.messages.length > 0);
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const before = gateway.viewerCount;
  for (let i = 0; i < 30_000 && gateway.viewerCount === before; i++)
    publish("site-1:flood-session", CONTRACT_B, i);
  expect(gateway.viewerCount).toBe(before - 1);
  await until(() => frameSeqs(fast, "site-1:flood-session").length > 0);
  const seen = frameSeqs(fast, "site-1:flood-session");
  expect(seen).toEqual(seen.map((_, i) => i + 1));
  fast.ws.close();
  slow.ws.terminate();
});
