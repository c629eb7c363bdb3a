import { describe, expect, test } from "vitest";
import { allocatePower, maxMinFairShares, SeededRandom, stallId } from "@chargemesh/shared-model";
import type { LimitNode } from "@chargemesh/shared-model";
import { buildStressScenario, powerManagerController, runStress } from "../../src/index.js";
import type { StressMetrics } from "../../src/index.js";

/** The seeds CI runs (bench:power prints the same scenario's figures for the same seeds). */
const SEEDS = [1, 2, 3, 4];

const jain = (t: { jainSum: number; contended: number }) => t.jainSum / Math.max(1, t.contended);

describe("weighted max-min oracle", () => {
  const tree: LimitNode = {
    id: "site",
    limitW: 30_000,
    children: [
      { id: "a", limitW: 12_000 },
      { id: "b", limitW: 30_000 },
    ],
  };

  test("hand-computed cases: a full cabinet, a satisfied claim, weights, a fixed claim", () => {
    const shares = maxMinFairShares(tree, [
      { nodeId: "a", demandW: 20_000, weight: 1 },
      { nodeId: "a", demandW: 20_000, weight: 1 },
      { nodeId: "b", demandW: 2_000, weight: 1 },
      { nodeId: "b", demandW: 50_000, weight: 1 },
    ]);
    expect(shares.map(Math.round)).toEqual([6_000, 6_000, 2_000, 16_000]);
    const weighted = maxMinFairShares({ id: "site", limitW: 9_000 }, [
      { nodeId: "site", demandW: 9_000, weight: 2 },
      { nodeId: "site", demandW: 9_000, weight: 1 },
    ]);
    expect(weighted.map(Math.round)).toEqual([6_000, 3_000]);
    const fixed = maxMinFairShares(tree, [
      { nodeId: "a", demandW: 10_000, weight: 1, fixed: true },
      { nodeId: "a", demandW: 20_000, weight: 1 },
      { nodeId: "b", demandW: 50_000, weight: 1 },
    ]);
    expect(fixed.map(Math.round)).toEqual([10_000, 2_000, 18_000]);
  });

  test("agrees with the allocator within 1 W per stall where minimums play no part (random trees and demands)", () => {
    const rnd = new SeededRandom(7);
    for (let k = 0; k < 200; k++) {
      const cabinets = rnd.int(1, 4);
      const root: LimitNode = {
        id: "site",
        limitW: rnd.int(5, 200) * 1_000,
        children: Array.from({ length: cabinets }, (_, c) => ({
          id: `c${c}`,
          limitW: rnd.int(1, 120) * 1_000,
        })),
      };
      const stalls = Array.from({ length: rnd.int(1, 12) }, (_, i) => ({
        node: `c${rnd.int(0, cabinets - 1)}`,
        demand: rnd.next() < 0.2 ? 0 : rnd.int(1, 60_000),
        weight: rnd.int(1, 3),
      }));
      const plan = allocatePower({
        root,
        reclaimMarginW: 0,
        stalls: stalls.map((s, i) => ({
          stallId: stallId(`s${String(i).padStart(2, "0")}`),
          nodeId: s.node,
          maxW: 60_000,
          minW: 0,
          acceptanceW: s.demand,
          tier: 0,
          weight: s.weight,
          sinceMs: 0,
          inContact: true,
          safeLimitW: 0,
        })),
      });
      if (!plan.ok) throw plan.error;
      const oracle = maxMinFairShares(
        root,
        stalls.map((s) => ({ nodeId: s.node, demandW: s.demand, weight: s.weight })),
      );
      plan.value.setpoints.forEach((sp, i) =>
        expect(Math.abs(sp.setpointW - oracle[i]!)).toBeLessThanOrEqual(1),
      );
    }
  });
});

describe("PowerManager under an adversarial site (virtual time, 10 ms sampling)", () => {
  const results: StressMetrics[] = [];

  test.each(SEEDS)(
    "seed %i: no breach instant outside the window of a cut with no notice; fair against the oracle in steady state",
    async (seed) => {
      const scenario = buildStressScenario(seed);
      const m = await runStress(scenario, powerManagerController());
      results.push(m);
      const steady = m.steady;
      console.log(
        `power stress seed ${seed}: ${m.samples} samples; breaches outside cut windows ${JSON.stringify(m.breaches)}, in cut windows ${m.breachesInCutWindows} ` +
          `(cuts: ${m.cutWindows.map((w) => `${w.lastBreachMs ?? 0}/${w.allowedMs} ms`).join(", ")}); ` +
          `Jain all ${jain(m.all).toFixed(4)}, steady ${jain(steady).toFixed(4)}; utilization all ${((100 * m.all.deliveredW) / m.all.fairW).toFixed(2)} %, ` +
          `steady ${((100 * steady.deliveredW) / steady.fairW).toFixed(2)} %; unfair contended instants steady ${((100 * steady.unfair) / Math.max(1, steady.contended)).toFixed(1)} %; most alarms ${m.maxAlarms}`,
      );
      expect(m.samples).toBeGreaterThan(scenario.durationMs / 10);
      expect(m.breaches).toEqual({});
      // every unannounced cut is in force within its window (the slowest stage's reaction delay, more with a lossy stage)
      for (const w of m.cutWindows) expect(w.lastBreachMs ?? 0).toBeLessThanOrEqual(w.allowedMs);
      expect(m.maxAlarms).toBeGreaterThanOrEqual(1); // the unreachable and lossy stages were alarmed
      expect(steady.contended).toBeGreaterThan(0);
      expect(jain(steady)).toBeGreaterThanOrEqual(0.99);
      expect(steady.deliveredW / steady.fairW).toBeGreaterThanOrEqual(0.97);
      expect(jain(m.all)).toBeGreaterThanOrEqual(0.9);
    },
  );

  test("over the seed list the sampler did see the breaches a cut with no notice allows (so it can see one)", () => {
    expect(results).toHaveLength(SEEDS.length);
    expect(results.flatMap((m) => m.cutWindows).length).toBeGreaterThanOrEqual(SEEDS.length);
    expect(results.reduce((a, m) => a + m.breachesInCutWindows, 0)).toBeGreaterThan(0);
  });
});
