import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import {
  accountResponseSchema,
  cloudApiErrorBodySchema,
  receiptResponseSchema,
  signInResponseSchema,
  stationFinderResponseSchema,
} from "@chargemesh/shared-model/contracts";
import { CloudPeer } from "../../src/sync/cloudPeer.js";
import { startCloudApi } from "../../src/http/cloudApi.js";
import type { CloudApi } from "../../src/http/cloudApi.js";
import { DriverAccounts } from "../../src/accounts/driverAccounts.js";
import { addDemoAccounts } from "../../src/accounts/demoAccounts.js";

const dir = mkdtempSync(join(tmpdir(), "cm-cloudapi-"));
let peer: CloudPeer;
let api: CloudApi;
let demo: { email: string; password: string };
let counter = 0;
const random = (n: number) =>
  Uint8Array.from({ length: n }, () => (counter = (counter * 1103515245 + 12345) % 2 ** 31) % 256);

beforeAll(async () => {
  peer = await CloudPeer.start({
    dataDir: dir,
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    acknowledgeEveryMs: 0,
  });
  const accounts = new DriverAccounts();
  demo = addDemoAccounts(
    accounts,
    [
      {
        email: "demo@chargemesh.test",
        name: "Demo Driver",
        contracts: [
          { contractId: "DE-CMX-C00000001-1", vehicleName: "Demo car", batteryWh: 60_000, connector: "ccs2" },
        ],
      },
    ],
    random,
  )[0]!;
  api = await startCloudApi(peer, "127.0.0.1", 0, {
    accounts,
    limits: { credentials: { failures: 5, backoffMs: 60_000 } },
  });
});
afterAll(async () => {
  await api.close();
  await peer.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string, token?: string) =>
  fetch(`${api.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
const raw = (bytes: string) =>
  new Promise<string>((resolve) => {
    const s = createConnection(Number(new URL(api.url).port), "127.0.0.1");
    let out = "";
    s.on("data", (d) => (out += d.toString()));
    s.on("close", () => resolve(out));
    s.on("error", () => resolve(out));
    s.write(bytes);
    setTimeout(() => s.end(), 200);
  });

test("operator routes need the operator credential in the header; health stays public and says nothing of identities", async () => {
  const health = await (await get("/healthz")).json();
  expect(health).toEqual({ ok: true });
  for (const path of ["/api/sites", "/api/sites/x/live", "/metrics"]) {
    const r = await get(path);
    expect(r.status).toBe(401);
    expect(cloudApiErrorBodySchema.parse(await r.json()).error.code).toBe("unauthorized");
  }
  const sites = await get("/api/sites", api.operatorToken);
  expect(sites.status).toBe(200);
  expect(await sites.json()).toMatchObject({ peerId: peer.node.peerId.toString(), sites: [] });
  expect((await get("/api/sites/nowhere/live", api.operatorToken)).status).toBe(404);
  expect(await (await get("/metrics", api.operatorToken)).text()).toContain("chargemesh_gateway_viewers");
});

test("hostile request lines and bodies get an error and the server keeps answering", async () => {
  const reply = await raw("GET //[ HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(reply).toMatch(/^HTTP\/1.1 (400|404)/);
  await raw("GET /api/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  await raw("\u0000\u0001garbage\r\n\r\n");
  const big = await fetch(`${api.url}/api/account/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "a@b.c", password: "x".repeat(40_000) }),
  });
  expect(big.status).toBe(413);
  const bad = await fetch(`${api.url}/api/account/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{not json",
  });
  expect(bad.status).toBe(400);
  expect(cloudApiErrorBodySchema.parse(await bad.json()).error.code).toBe("malformed_json");
  const invalid = await fetch(`${api.url}/api/account/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: 5 }),
  });
  expect(cloudApiErrorBodySchema.parse(await invalid.json()).error.code).toBe("invalid_input");
  expect((await get("/healthz")).status).toBe(200);
});

test("sign in to a demo account: account, vehicles, contracts, an honest standing and receipt empty states; a wrong session is not found", async () => {
  const signIn = await fetch(`${api.url}/api/account/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: demo.email, password: demo.password }),
  });
  expect(signIn.status).toBe(200);
  const { accountToken } = signInResponseSchema.parse(await signIn.json());
  const account = accountResponseSchema.parse(await (await get("/api/account", accountToken)).json());
  expect(account.contracts.map((c) => c.contractId)).toEqual(["DE-CMX-C00000001-1"]);
  expect(account.vehicles[0]!.connector).toBe("ccs2");
  expect(account.standing.source).toBe("no_billing_record");
  expect(await (await get("/api/account/sessions", accountToken)).json()).toEqual({ sessions: [] });
  const receipt = await get("/api/account/sessions/site-1:01ARZ3NDEKTSV4RRFFQ69G5FAV/receipt", accountToken);
  expect(receipt.status).toBe(404);
  const settle = await fetch(`${api.url}/api/account/settle`, {
    method: "POST",
    headers: { authorization: `Bearer ${accountToken}` },
  });
  expect(settle.status).toBe(503);
  expect(
    receiptResponseSchema.safeParse({
      sessionId: "s-12345678",
      receipt: null,
      pendingReason: "billing_not_connected",
    }).success,
  ).toBe(true);
  const stations = stationFinderResponseSchema.parse(
    await (await get("/api/stations?connector=ccs2")).json(),
  );
  expect(stations.stations).toEqual([]);
  expect((await get("/api/stations?connector=bogus")).status).toBe(400);
});

test("failed credentials from one address meet a budget: past it the address waits (429) even with the right password", async () => {
  const attempt = (password: string) =>
    fetch(`${api.url}/api/account/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: demo.email, password }),
    });
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push((await attempt(`wrong-${i}`)).status);
  expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
  expect(statuses.slice(5)).toEqual([429, 429]);
  expect((await attempt(demo.password)).status).toBe(429);
  expect((await get("/api/sites", api.operatorToken)).status).toBe(429);
});
