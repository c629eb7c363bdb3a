import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nobleEd25519, verifyChains } from "@chargemesh/shared-model";
import {
  alarmsResponseSchema,
  diagnosticsResponseSchema,
  sessionDetailResponseSchema,
  siteOverviewSchema,
} from "@chargemesh/shared-model/contracts";
import { startApiTestSite, TECH } from "./apiTestSite.js";
import { until } from "../../../testing/until.js";
import type { ApiTestSite } from "./apiTestSite.js";

let t: ApiTestSite;
beforeAll(async () => {
  t = await startApiTestSite();
});
afterAll(async () => t.stop());

const auth = { authorization: `Bearer ${TECH}` };
const get = async (path: string, headers: Record<string, string> = {}) => {
  const r = await fetch(t.api.url + path, { headers });
  return { status: r.status, body: (await r.json()) as unknown };
};
const post = (path: string, body: unknown, headers: Record<string, string> = auth) =>
  fetch(t.api.url + path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));

describe("local API: what the kiosk reads and does", () => {
  test("the site limit changes within its bounds only, with a credential, through the power manager", async () => {
    expect((await post("/api/site/limit", { limitW: 30_000 }, {})).status).toBe(401);
    expect((await post("/api/site/limit", { limitW: 60_000 })).status).toBe(400);
    expect((await post("/api/site/limit", { limitW: 5_000 })).status).toBe(400);
    expect((await post("/api/site/limit", { limitW: 30_000.5 })).status).toBe(400);
    const r = await post("/api/site/limit", { limitW: 30_000, note: "grid operator asked" });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ limitW: 30_000, previousW: 50_000 });
    expect(t.power.limitCalls.at(-1)).toEqual({ id: "site", limitW: 30_000 });
    const overview = siteOverviewSchema.parse((await get("/api/site")).body);
    expect(overview.gridLimitW).toBe(30_000);
    expect(overview.siteLimitBounds).toEqual({ minW: 10_000, maxW: 50_000 });
  });

  test("a session comes with its signed records, and shared-model's browser verifier accepts them", async () => {
    t.stalls[0]!.plug({ certificateChain: [new Uint8Array([1])] });
    await t.tick(130);
    expect((await post("/api/stalls/s1/stop", { note: "test" })).status).toBe(202);
    await t.tick(3);
    const sid = t.site.journal.recent(5).find((s) => s.stallId === "s1")!.sessionId;
    const detail = sessionDetailResponseSchema.parse((await get(`/api/sessions/${sid}`, auth)).body);
    const ledger = detail.ledger!;
    expect(ledger.records.length).toBeGreaterThanOrEqual(3); // begin, checkpoints, end
    const report = verifyChains(
      {
        certificates: ledger.certificates.map(fromB64),
        operatorKeys: new Map(ledger.operatorKeys.map(([k, v]) => [k, fromB64(v)])),
        records: ledger.records.map(fromB64),
      },
      nobleEd25519,
    );
    const real = report.findings.filter((f) => !(f.code === "sequence_gap" && (f.seq ?? 0) < ledger.fromSeq));
    expect(real).toEqual([]);
    const energy = report.sessions.find((s) => s.sessionId === sid)!;
    expect(energy.complete).toBe(true);
    expect(energy.energyWh).toBe(detail.session.end!.registerWh - detail.session.begin!.registerWh);
  });

  test("a meter fault is an alarm with what to do; diagnostics need a technician", async () => {
    t.stalls[1]!.plug({ certificateChain: [new Uint8Array([1])] });
    // Counts events, not ticks: the session begins (authorization and the signed begin are async),
    // then the faulty meter is read until the alarm shows.
    await until("the session on s2 is charging", async () => {
      await t.tick(1);
      return t.site.orchestrator.stallViews().find((v) => v.stallId === "s2")?.phase === "charging";
    });
    t.stalls[1]!.faulty = true;
    let alarms: ReturnType<typeof alarmsResponseSchema.parse>["alarms"] = [];
    await until("the meter fault is an alarm", async () => {
      await t.tick(1);
      alarms = alarmsResponseSchema.parse((await get("/api/alarms")).body).alarms;
      return alarms.some((a) => a.kind === "meter_fault");
    });
    const fault = alarms.find((a) => a.kind === "meter_fault");
    expect(fault).toMatchObject({ severity: "critical", stallId: "s2" });
    expect(fault!.action.length).toBeGreaterThan(10);
    expect((await get("/api/diagnostics")).status).toBe(401);
    const diag = diagnosticsResponseSchema.parse((await get("/api/diagnostics", auth)).body);
    expect(diag.stalls.map((s) => s.stallId)).toEqual(["s1", "s2"]);
    expect(diag.simulated).toContain("meters");
    t.stalls[1]!.faulty = false;
  });
});
