import { describe, expect, test } from "vitest";
import { allocatePower } from "../../src/power/powerAllocator.js";
import type { LimitNode, PowerPlan, StallPowerInput } from "../../src/power/powerPlanTypes.js";
import { stallId } from "../../src/ids.js";

const stall = (id: string, over: Partial<StallPowerInput> = {}): StallPowerInput => ({
  stallId: stallId(id),
  nodeId: "site",
  maxW: 22_000,
  minW: 4_140,
  acceptanceW: 22_000,
  tier: 0,
  weight: 1,
  sinceMs: 0,
  inContact: true,
  safeLimitW: 4_140,
  ...over,
});

function plan(root: LimitNode, stalls: StallPowerInput[], reclaimMarginW?: number): PowerPlan {
  const r = allocatePower({ root, stalls, ...(reclaimMarginW === undefined ? {} : { reclaimMarginW }) });
  if (!r.ok) throw r.error;
  return r.value;
}
const w = (p: PowerPlan) => Object.fromEntries(p.setpoints.map((s) => [s.stallId, s.setpointW]));
const why = (p: PowerPlan, id: string) => p.setpoints.find((s) => s.stallId === id)!;

describe("allocatePower", () => {
  test("equal split with a deterministic integer remainder", () => {
    const p = plan({ id: "site", limitW: 20_000 }, [stall("a"), stall("b"), stall("c")]);
    expect(w(p)).toEqual({ a: 6_667, b: 6_667, c: 6_666 });
    expect(why(p, "a")).toMatchObject({ binding: "node_limit", bindingNodeId: "site" });
  });

  test("work-conserving: headroom a tapering car will not take goes to the others", () => {
    const p = plan({ id: "site", limitW: 30_000 }, [
      stall("a", { acceptanceW: 5_000 }),
      stall("b"),
      stall("c"),
    ]);
    expect(w(p)).toEqual({ a: 5_000, b: 12_500, c: 12_500 });
    expect(why(p, "a").binding).toBe("car_acceptance");
  });

  test("weights give proportional shares", () => {
    const p = plan({ id: "site", limitW: 30_000 }, [
      stall("a", { weight: 2, maxW: 50_000, acceptanceW: 50_000 }),
      stall("b", { maxW: 50_000, acceptanceW: 50_000 }),
    ]);
    expect(w(p)).toEqual({ a: 20_000, b: 10_000 });
  });

  test("cabinet limit binds its own stalls; the rest of the site limit goes elsewhere", () => {
    const root = {
      id: "site",
      limitW: 40_000,
      children: [
        { id: "c1", limitW: 10_000 },
        { id: "c2", limitW: 40_000 },
      ],
    };
    const p = plan(root, [
      stall("a", { nodeId: "c1" }),
      stall("b", { nodeId: "c1" }),
      stall("c", { nodeId: "c2" }),
      stall("d", { nodeId: "c2" }),
    ]);
    expect(w(p)).toEqual({ a: 5_000, b: 5_000, c: 15_000, d: 15_000 });
    expect(why(p, "a").bindingNodeId).toBe("c1");
    expect(why(p, "c").bindingNodeId).toBe("site");
  });

  test("when minimums do not all fit, the latest plugged-in car of the lowest tier gets 0", () => {
    const stalls = [
      stall("a", { sinceMs: 3 }),
      stall("b", { sinceMs: 1 }),
      stall("c", { sinceMs: 2 }),
      stall("d", { sinceMs: 0, tier: 1 }),
    ];
    const p = plan({ id: "site", limitW: 12_500 }, stalls);
    expect(w(p)).toEqual({ a: 4_167, b: 4_167, c: 4_166, d: 0 });
    expect(why(p, "d")).toMatchObject({
      setpointW: 0,
      binding: "minimum_unavailable",
      bindingNodeId: "site",
    });
    const three = plan({ id: "site", limitW: 9_000 }, stalls);
    expect(w(three)).toEqual({ a: 0, b: 4_500, c: 4_500, d: 0 });
  });

  test("tiers are served strictly in order", () => {
    const p = plan({ id: "site", limitW: 30_000 }, [
      stall("a", { tier: 1 }),
      stall("b", { tier: 0 }),
      stall("c", { tier: 0, acceptanceW: 6_000 }),
    ]);
    expect(w(p)).toEqual({ a: 0, b: 22_000, c: 6_000 });
    expect(why(p, "a")).toMatchObject({ binding: "minimum_unavailable", bindingNodeId: "site" });
    const roomy = plan({ id: "site", limitW: 40_000 }, [
      stall("a", { tier: 1 }),
      stall("b", { tier: 0 }),
      stall("c", { tier: 0, acceptanceW: 6_000 }),
    ]);
    expect(w(roomy)).toEqual({ a: 12_000, b: 22_000, c: 6_000 });
  });

  test("a car drawing well under its grant is capped at draw + margin; the freed power goes to others", () => {
    const p = plan(
      { id: "site", limitW: 30_000 },
      [stall("a", { grantedW: 15_000, measuredW: 7_000 }), stall("b")],
      500,
    );
    expect(w(p)).toEqual({ a: 7_500, b: 22_000 });
    expect(why(p, "a").binding).toBe("measured_draw");
  });

  test("a positive acceptance under the AC minimum still gets the minimum (the stage cannot offer less)", () => {
    const p = plan({ id: "site", limitW: 30_000 }, [
      stall("a", { acceptanceW: 1_000 }),
      stall("b", { acceptanceW: 0 }),
    ]);
    expect(w(p)).toEqual({ a: 4_140, b: 0 });
    expect(why(p, "b").binding).toBe("no_demand");
  });

  test("a stall out of contact is reserved at max(safe limit, last limit) and the others share the rest", () => {
    const p = plan({ id: "site", limitW: 30_000 }, [
      stall("a", { inContact: false, safeLimitW: 6_000, reserveW: 11_000 }),
      stall("b"),
      stall("c"),
    ]);
    expect(w(p)).toEqual({ a: 11_000, b: 9_500, c: 9_500 });
    expect(p.nodes[0]).toMatchObject({ reservedW: 11_000, allocatedW: 19_000, overcommitted: false });
  });

  test("reservations above a limit mark the node overcommitted and nothing else is given there", () => {
    const p = plan({ id: "site", limitW: 10_000 }, [
      stall("a", { inContact: false, safeLimitW: 11_000, maxW: 22_000 }),
      stall("b"),
    ]);
    expect(w(p)).toEqual({ a: 11_000, b: 0 });
    expect(p.nodes[0]!.overcommitted).toBe(true);
  });

  test("malformed input is an invalid_input error value, not an exception", () => {
    const cases = [
      allocatePower({ root: { id: "site", limitW: 1 }, stalls: [stall("a", { nodeId: "nope" })] }),
      allocatePower({ root: { id: "site", limitW: 1 }, stalls: [stall("a"), stall("a")] }),
      allocatePower({ root: { id: "site", limitW: 1 }, stalls: [stall("a", { maxW: -1 })] }),
      allocatePower({ root: { id: "site", limitW: 1 }, stalls: [stall("a", { weight: 0 })] }),
      allocatePower({ root: { id: "site", limitW: 1.5 }, stalls: [] }),
      allocatePower({ root: { id: "site", limitW: 1, children: [{ id: "site", limitW: 1 }] }, stalls: [] }),
    ];
    for (const r of cases) expect(r.ok ? "ok" : r.error.code).toBe("invalid_input");
  });
});
