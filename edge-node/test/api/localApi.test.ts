import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import pino from "pino";
import WebSocket from "ws";
import { SeededRandom, VirtualClock, contractId, meterId } from "@chargemesh/shared-model";
import { parseSiteConfig } from "../../src/config/siteConfig.js";
import { SiteController } from "../../src/siteController.js";
import { startLocalApi } from "../../src/api/localApi.js";
import type { LocalApi } from "../../src/api/localApi.js";
import { technicianTokenDigest } from "../../src/api/technicianAuth.js";
import { localOperatorCertifier } from "../../src/audit/meterProvisioning.js";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { FakeStall } from "../session/fakeStall.js";
import { TestSecureElement } from "../session/testSecureElement.js";

const dir = mkdtempSync(join(tmpdir(), "cm-api-"));
const clock = new VirtualClock();
const stalls = [new FakeStall(meterId("m1"), clock), new FakeStall(meterId("m2"), clock)];
let site: SiteController;
let api: LocalApi;

beforeAll(async () => {
  const config = parseSiteConfig({
    siteId: "site-api",
    dataDir: dir,
    gridLimitW: 50_000,
    stalls: stalls.map((s, i) => ({ id: `s${i + 1}`, meterId: s.meterId, maxW: 11_000 })),
    technicians: [{ id: "alice", tokenSha256: technicianTokenDigest("alice-secret") }],
  });
  site = await SiteController.start({
    config,
    clock,
    random: new SeededRandom(3),
    hardware: stalls.map((s, i) => ({
      config: config.stalls[i]!,
      meter: s.meter,
      stage: s.stage,
      link: s.link,
    })),
    authorizer: {
      authorize: async () => ({
        accepted: true,
        reason: "Accepted",
        contractId: contractId("DE-ABC-C12345678-9"),
        caps: {},
        mode: "online",
      }),
    },
    secureElement: new TestSecureElement(),
    power: (hw) => ({
      stallCharging: () => {},
      replan: async () => void (await Promise.all(hw.map((h) => h.stage.setLimit(h.config.maxW)))),
    }),
    certifyMeter: localOperatorCertifier("op", new Uint8Array(32).fill(5), nodeEd25519, clock),
    log: pino({ level: "silent" }),
  });
  api = await startLocalApi(
    {
      siteId: config.siteId,
      clock,
      gridLimitW: () => config.gridLimitW,
      orchestrator: site.orchestrator,
      journal: site.journal,
      technicians: config.technicians,
      checkSessionToken: (t) => site.checkSessionToken(t),
      currentPlan: () => null,
      metrics: site.metrics.registry,
    },
    "127.0.0.1",
    0,
  );
});
afterAll(async () => {
  await api.close();
  await site.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function tick(n: number) {
  for (let i = 0; i < n; i++) {
    clock.advance(1000);
    await site.tick();
  }
}

const get = (path: string, token?: string) =>
  fetch(api.url + path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (path: string, body: unknown, token?: string) =>
  fetch(api.url + path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

describe("local API", () => {
  test("site overview is open; session data needs that session's token or a technician", async () => {
    stalls[0]!.plug({ certificateChain: [new Uint8Array([1])] });
    await tick(3);
    const site1 = (await (await get("/api/site")).json()) as {
      stalls: { stallId: string; phase: string; sessionId?: string }[];
    };
    expect(site1.stalls[0]).toMatchObject({ stallId: "s1", phase: "charging" });
    expect(site1.stalls[0]!.sessionId).toBeUndefined();
    const sid = site.orchestrator.activeSessionOf(site.config.stalls[0]!.id)!;
    const token = stalls[0]!.token!;
    expect(token).toMatch(/^[\w-]+\.[\w-]+$/);
    expect((await get(`/api/sessions/${sid}`)).status).toBe(401);
    expect((await get(`/api/sessions/${sid}`, token)).status).toBe(200);
    const forged = await get(`/api/sessions/${sid}`, token.slice(0, -4) + "AAAA");
    expect(forged.status).toBe(401);
    stalls[1]!.plug({ certificateChain: [new Uint8Array([1])] });
    await tick(2);
    const other = await get(`/api/sessions/${sid}`, stalls[1]!.token!);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    expect((await get("/api/sessions", "alice-secret")).status).toBe(200);
    expect((await get("/api/sessions")).status).toBe(401);
  });

  test("a session token's live feed carries only its own session; tokens are refreshed while charging", async () => {
    const sid = site.orchestrator.activeSessionOf(site.config.stalls[1]!.id)!;
    const ws = new WebSocket(`${api.url.replace("http", "ws")}/live`, {
      headers: { authorization: `Bearer ${stalls[1]!.token!}` },
    });
    const frames: { type: string; sessionId?: string }[] = [];
    ws.on("message", (m) => frames.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once("open", r));
    await tick(5);
    await new Promise((r) => setTimeout(r, 50));
    ws.close();
    const telemetry = frames.filter((f) => f.type === "telemetry");
    expect(telemetry.length).toBeGreaterThanOrEqual(4);
    expect(new Set(telemetry.map((f) => f.sessionId))).toEqual(new Set([sid]));
    const before = stalls[1]!.token;
    await tick(301);
    expect(stalls[1]!.token).not.toBe(before);
    expect(site.checkSessionToken(stalls[1]!.token!)).toEqual({ ok: true, sessionId: sid });
    expect(site.checkSessionToken(before!)).toEqual({ ok: true, sessionId: sid });
    await tick(600);
    expect(site.checkSessionToken(before!)).toMatchObject({ ok: false, code: "expired" });
  });

  test("technician actions need a credential, are validated, and are recorded with who did them", async () => {
    expect((await post("/api/stalls/s1/stop", {})).status).toBe(401);
    const garbage = await post("/api/stalls/s1/out-of-service", "{not json", "alice-secret");
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { code: string } }).error.code).toBe("malformed_json");
    expect((await post("/api/stalls/s1/stop", { note: "driver asked" }, "alice-secret")).status).toBe(202);
    await tick(2);
    const stopped = site.journal.recent(10).find((s) => s.stallId === "s1")!;
    expect(stopped.stopReason).toBe("technician_stop");
    expect(stopped.stoppedBy).toBe("alice");
    expect((await post("/api/stalls/s1/stop", {}, "alice-secret")).status).toBe(409);
    expect(
      (await post("/api/stalls/nope/out-of-service", { outOfService: true }, "alice-secret")).status,
    ).toBe(404);
  });

  test("metrics are Prometheus text", async () => {
    const text = await (await get("/metrics")).text();
    expect(text).toContain("chargemesh_sessions_total");
    expect(text).toContain('site="site-api"');
  });
});
