import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import {
  liveFeedProtocols,
  LIVE_FEED_PROTOCOL,
  parseLiveFeedMessage,
} from "@chargemesh/shared-model/contracts";
import { startApiTestSite, TECH } from "./apiTestSite.js";
import type { ApiTestSite } from "./apiTestSite.js";

let t: ApiTestSite;
beforeAll(async () => {
  t = await startApiTestSite({
    limits: { maxConnectionsPerAddress: 8, failedCredentialBudget: 3, maxBodyBytes: 1024 },
  });
});
afterAll(async () => t.stop());

const get = (path: string, headers: Record<string, string> = {}) => fetch(t.api.url + path, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const codeOf = async (r: Response) => ((await r.json()) as { error: { code: string } }).error.code;

/** Sends raw bytes on a fresh TCP connection; resolves with what came back before the server closed or 2 s of silence. */
function raw(bytes: Buffer | string): Promise<string> {
  const { port } = new URL(t.api.url);
  return new Promise((resolve) => {
    const s = connect(Number(port), "127.0.0.1");
    let got = "";
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("error", () => resolve(got));
    s.on("close", () => resolve(got));
    s.setTimeout(2_000, () => s.destroy());
    s.write(bytes);
  });
}

/** Every frame each opened socket received, from the first. */
const received = new WeakMap<WebSocket, string[]>();

/** Opens /live; resolves with the socket once open, or with the HTTP status that refused it. */
function openLive(opts: WebSocket.ClientOptions, protocols?: string[]): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.api.url.replace("http", "ws")}/live`, protocols ?? [], opts);
    const frames: string[] = [];
    received.set(ws, frames);
    ws.on("message", (m) => frames.push(String(m)));
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.once("error", () => resolve(0));
  });
}

describe("local API: limits before authentication", () => {
  test("a credential in the URL is refused; the header works", async () => {
    const r = await get(`/api/sessions?token=${TECH}`);
    expect(r.status).toBe(400);
    expect(await codeOf(r)).toBe("invalid_input");
    expect((await get("/api/sessions", bearer(TECH))).status).toBe(200);
    expect(await codeOf(await get("/api/sessions", { authorization: "Basic abc" }))).toBe("unauthorized");
  });

  test("wrong credentials spend the address's budget; then even the right one waits (429, Retry-After)", async () => {
    for (let i = 0; i < 3; i++) expect((await get("/api/technician", bearer(`guess-${i}`))).status).toBe(401);
    const blocked = await get("/api/technician", bearer("guess-4"));
    expect(blocked.status).toBe(429); // the 4th failure starts the backoff
    const right = await get("/api/technician", bearer(TECH));
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await get("/api/site")).status).toBe(200); // no credential: reads stay open
    t.limiterClock.advance(60 * 60_000);
    expect(await (await get("/api/technician", bearer(TECH))).json()).toEqual({ technicianId: "alice" });
    const text = await (await get("/metrics")).text();
    expect(text).toMatch(/chargemesh_local_api_refused_total\{limit="rate_limited"[^}]*\} [1-9]/);
  });

  test("a Host that is not this site is refused (DNS rebinding)", async () => {
    const reply = await raw("GET /api/site HTTP/1.1\r\nHost: evil.example:8710\r\nConnection: close\r\n\r\n");
    expect(reply).toMatch(/^HTTP\/1.1 403/);
    expect(await raw("GET /api/site HTTP/1.1\r\nHost: localhost:8710\r\nConnection: close\r\n\r\n")).toMatch(
      /^HTTP\/1.1 200/,
    );
  });

  test("/live: a foreign Origin is refused, the site's own origin and a browser's credential subprotocol are accepted", async () => {
    expect(await openLive({ headers: { origin: "http://evil.example" } })).toBe(403);
    const { host } = new URL(t.api.url);
    const ws = (await openLive(
      { headers: { origin: `http://${host}` } },
      liveFeedProtocols(TECH),
    )) as WebSocket;
    expect(ws).toBeInstanceOf(WebSocket);
    expect(ws.protocol).toBe(LIVE_FEED_PROTOCOL); // the credential is never echoed
    const frames = received.get(ws)!;
    if (frames.length === 0) await new Promise((r) => ws.once("message", r));
    const msg = parseLiveFeedMessage(frames[0]!);
    expect(msg?.type).toBe("hello");
    expect(msg?.type === "hello" && msg.stalls[0]!.sessionId !== undefined).toBe(true); // technician view
    ws.close();
    expect(await openLive({}, liveFeedProtocols("wrong"))).toBe(401);
  });

  test("an oversized WebSocket frame closes that socket (1009); the API keeps answering", async () => {
    const ws = (await openLive({})) as WebSocket;
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.on("error", () => undefined);
    ws.send(Buffer.alloc(64 * 1024, 1));
    expect(await closed).toBe(1009);
    expect((await get("/healthz")).status).toBe(200);
  });

  test("hostile bytes end only their own connection", async () => {
    const { host } = new URL(t.api.url);
    expect(await raw("GET //[ HTTP/1.1\r\nHost: x\r\n\r\n")).toMatch(/^HTTP\/1.1 (400|403|404)/);
    expect(
      await raw(
        "GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      ),
    ).toMatch(/^HTTP\/1.1 (400|404)/);
    expect(await raw(`GET /api/site HTTP/1.1\r\nHost: ${host}\r\nX: ${"a".repeat(20_000)}\r\n\r\n`)).toMatch(
      /^HTTP\/1.1 431/,
    );
    const handshake = `GET /live HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    expect(await raw(Buffer.concat([Buffer.from(handshake), Buffer.from("810568656c6c6f", "hex")]))).toMatch(
      /^HTTP\/1.1 101/,
    ); // unmasked frame
    expect(
      await raw(Buffer.concat([Buffer.from(handshake), Buffer.from("82ff000000000c80000001020304", "hex")])),
    ).toMatch(/^HTTP\/1.1 101/); // 200 MiB announced
    const big = await fetch(t.api.url + "/api/site/limit", {
      method: "POST",
      body: JSON.stringify({ limitW: 1, note: "x".repeat(4_000) }),
      headers: { "content-type": "application/json", ...bearer(TECH) },
    });
    expect(big.status).toBe(413);
    expect(await codeOf(big)).toBe("too_large");
    expect((await get("/healthz")).status).toBe(200);
  });

  test("connections beyond the per-address limit are closed at accept", async () => {
    const { port } = new URL(t.api.url);
    let closed = 0;
    let enough: () => void = () => undefined;
    const fourClosed = new Promise<void>((r) => (enough = r));
    const sockets = Array.from({ length: 12 }, () => {
      const s = connect(Number(port), "127.0.0.1");
      s.on("error", () => undefined);
      s.on("close", () => ++closed >= 4 && enough());
      return s;
    });
    await fourClosed; // 12 connections, 8 allowed: the server closes the other 4 (count events, not time)
    expect(closed).toBeGreaterThanOrEqual(4);
    for (const s of sockets) s.destroy();
    // once the server has seen the closes, the address may connect again
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++) {
      status = await get("/healthz").then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(200);
  });

  test("the built kiosk is served at / with its content security policy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-kiosk-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>kiosk</title>");
    const other = await startApiTestSite({ kioskDir: dir });
    try {
      const page = await fetch(other.api.url + "/");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>kiosk</title>");
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect((await fetch(other.api.url + "/api/site")).status).toBe(200);
    } finally {
      await other.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    const unbuilt = await get("/");
    expect(unbuilt.status).toBe(503);
    expect(await codeOf(unbuilt)).toBe("unavailable");
  });
});
