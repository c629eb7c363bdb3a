import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { outOfServiceResponseSchema, stallChargersResponseSchema } from "@chargemesh/shared-model/contracts";
import { startApiTestSite, TECH } from "./apiTestSite.js";
import type { ApiTestSite } from "./apiTestSite.js";

let t: ApiTestSite;
beforeAll(async () => {
  t = await startApiTestSite();
});
afterAll(async () => t.stop());

const auth = { authorization: `Bearer ${TECH}` };
const post = async (path: string, body: unknown, headers: Record<string, string> = auth) => {
  const r = await fetch(t.api.url + path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
  return { status: r.status, body: (await r.json()) as { error?: { code: string } } };
};

describe("technician charger actions on simulated stalls", () => {
  test("restart-charger needs a credential and a valid type, and is a conflict for a stall without a charger", async () => {
    expect((await post("/api/stalls/s1/restart-charger", { type: "OnIdle" }, {})).status).toBe(401);
    const bad = await post("/api/stalls/s1/restart-charger", { type: "Soft" });
    expect(bad.status).toBe(400);
    expect((await post("/api/stalls/s1/restart-charger", { type: "OnIdle", extra: 1 })).status).toBe(400);
    expect((await post("/api/stalls/nope/restart-charger", { type: "OnIdle" })).body.error?.code).toBe(
      "not_found",
    );
    const sim = await post("/api/stalls/s1/restart-charger", { type: "Immediate", note: "try" });
    expect(sim.status).toBe(409);
    expect(sim.body.error?.code).toBe("conflict");
  });

  test("out of service on a simulated stall keeps its behaviour and names no charger", async () => {
    const out = await post("/api/stalls/s2/out-of-service", { outOfService: true });
    expect(out.status).toBe(200);
    expect(outOfServiceResponseSchema.parse(out.body)).toEqual({
      stallId: "s2",
      outOfService: true,
      charger: null,
    });
    expect(t.site.orchestrator.stallViews().find((v) => v.stallId === "s2")!.phase).toBe("out_of_service");
    const back = await post("/api/stalls/s2/out-of-service", { outOfService: false });
    expect(outOfServiceResponseSchema.parse(back.body).charger).toBeNull();
    expect(t.site.orchestrator.stallViews().find((v) => v.stallId === "s2")!.phase).toBe("available");
  });

  test("the stall chargers list is for technicians and empty without OCPP chargers", async () => {
    expect((await fetch(`${t.api.url}/api/stall-chargers`)).status).toBe(401);
    const r = await fetch(`${t.api.url}/api/stall-chargers`, { headers: auth });
    expect(stallChargersResponseSchema.parse(await r.json())).toEqual({ stalls: [] });
  });
});
