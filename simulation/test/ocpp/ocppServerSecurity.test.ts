import { createHash } from "node:crypto";
import { afterEach, expect, test } from "vitest";
import ocppRpc from "ocpp-rpc";
import { WebSocket } from "ws";
import { OcppServer, officialOcpp201Validator } from "@chargemesh/edge-node";
import type { OcppRpcConnection, SecurityProfile } from "@chargemesh/edge-node";
import { makeTestPki } from "./ocppTestPki.js";
import type { TestPki } from "./ocppTestPki.js";
import { NOW } from "./ocppTestSite.js";

const silent = { info() {}, warn() {} };
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
let servers: OcppServer[] = [];
let clients: Array<{ close(o?: object): Promise<unknown> }> = [];
afterEach(async () => {
  for (const c of clients) await c.close({ force: true }).catch(() => undefined);
  for (const s of servers) await s.close();
  servers = [];
  clients = [];
});

let pkiPromise: Promise<TestPki> | null = null;
const pki = () => (pkiPromise ??= makeTestPki(NOW));

async function server(
  profile: SecurityProfile,
  connected: Array<[string, OcppRpcConnection]> = [],
): Promise<OcppServer> {
  const p = await pki();
  const s = await OcppServer.listen({
    host: "localhost",
    port: 0,
    securityProfile: profile,
    ...(profile === 1 ? {} : { tls: { ...p.server, ...(profile === 3 ? { ca: p.stationCaPem } : {}) } }),
    credential: (id) => (id.startsWith("CP") ? { passwordSha256: sha(`secret-of-${id}-000000`) } : null),
    handlerFor: () => async (action) =>
      action === "BootNotification"
        ? { currentTime: new Date(NOW).toISOString(), interval: 300, status: "Accepted" }
        : { currentTime: new Date(NOW).toISOString() },
    onConnected: (id, c) => void connected.push([id, c]),
    validator: officialOcpp201Validator(),
    log: silent,
  });
  servers.push(s);
  return s;
}

function client(
  url: string,
  identity: string,
  opts: { password?: string; tls?: { ca: string; cert?: string; key?: string }; strict?: boolean } = {},
) {
  const c = new ocppRpc.RPCClient({
    endpoint: url,
    identity,
    protocols: ["ocpp2.0.1"],
    strictMode: opts.strict ?? true,
    reconnect: false,
    ...(opts.password ? { password: opts.password } : {}),
    ...(opts.tls ? { wsOpts: opts.tls } : {}),
  } as never);
  clients.push(c);
  return c;
}

const boot = { reason: "PowerUp", chargingStation: { model: "T", vendorName: "T" } };

test("profile 2: TLS with Basic auth per station; wrong password, unknown station and a missing subprotocol are refused", async () => {
  const p = await pki();
  const s = await server(2);
  const good = client(s.url, "CP1", { password: "secret-of-CP1-000000", tls: { ca: p.rootPem } });
  await good.connect();
  expect(await good.call("BootNotification", boot)).toMatchObject({ status: "Accepted" });
  await expect(
    client(s.url, "CP2", { password: "wrong-password-00000", tls: { ca: p.rootPem } }).connect(),
  ).rejects.toThrow(/Unauthorized/);
  await expect(
    client(s.url, "XX9", { password: "secret-of-XX9-000000", tls: { ca: p.rootPem } }).connect(),
  ).rejects.toThrow(/Not Found/);
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${s.url}/CP3`, ["ocpp1.6"], {
      ca: p.rootPem,
      headers: { authorization: `Basic ${Buffer.from("CP3:secret-of-CP3-000000").toString("base64")}` },
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("open", () => resolve(101));
  });
  expect(status).toBe(400);
  // The Basic-auth username must be the station ID, even with that station's password.
  const impostor = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${s.url}/CP4`, ["ocpp2.0.1"], {
      ca: p.rootPem,
      headers: { authorization: `Basic ${Buffer.from("CP5:secret-of-CP4-000000").toString("base64")}` },
    });
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("open", () => resolve(101));
  });
  expect(impostor).toBe(401);
}, 60_000);

test("profile 3: mutual TLS, the station certificate's CN must be the station ID", async () => {
  const p = await pki();
  const s = await server(3);
  const cert = await p.station("CP7");
  const ok = client(s.url, "CP7", { tls: { ca: p.rootPem, ...cert } });
  await ok.connect();
  expect(await ok.call("Heartbeat", {})).toHaveProperty("currentTime");
  await expect(client(s.url, "CP8", { tls: { ca: p.rootPem, ...cert } }).connect()).rejects.toThrow(
    /Unauthorized/,
  );
  await expect(client(s.url, "CP7", { tls: { ca: p.rootPem } }).connect()).rejects.toThrow();
}, 60_000);

test("a second authenticated connection of a station replaces the first; invalid messages get a CALLERROR", async () => {
  const p = await pki();
  const connected: Array<[string, OcppRpcConnection]> = [];
  const s = await server(2, connected);
  const first = client(s.url, "CP1", { password: "secret-of-CP1-000000", tls: { ca: p.rootPem } });
  await first.connect();
  const closed = new Promise((resolve) => first.once("close", resolve));
  const second = client(s.url, "CP1", {
    password: "secret-of-CP1-000000",
    tls: { ca: p.rootPem },
    strict: false,
  });
  await second.connect();
  await closed;
  expect(connected.map(([id]) => id)).toEqual(["CP1", "CP1"]);
  expect(connected[0]![1].isOpen()).toBe(false);
  expect(s.connection("CP1")).toBe(connected[1]![1]);
  await expect(second.call("BootNotification", { reason: "PowerUp" })).rejects.toMatchObject({
    rpcErrorCode: expect.stringMatching(/Occur+enceConstraintViolation/),
  });
  await expect(second.call("NoSuchAction", {})).rejects.toMatchObject({ rpcErrorCode: "NotImplemented" });
  expect(await second.call("BootNotification", boot)).toMatchObject({ status: "Accepted" });
}, 60_000);

test("profile 1 runs only without TLS for a lab", async () => {
  const connected: Array<[string, OcppRpcConnection]> = [];
  const s = await server(1, connected);
  expect(s.url).toMatch(/^ws:\/\//);
  const c = client(s.url, "CP1", { password: "secret-of-CP1-000000" });
  await c.connect();
  expect(connected).toHaveLength(1);
}, 30_000);
