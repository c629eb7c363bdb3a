import { expect, test } from "vitest";
import { VirtualClock, stallId } from "@chargemesh/shared-model";
import { SimPowerStage } from "@chargemesh/hal";
import { PowerManager } from "../../src/power/powerManager.js";
import { VirtualScheduler, flush } from "./virtualStage.js";

// The same safety property against hal's own power-stage simulator (driven by `advanceTo`).
test("with hal's SimPowerStage, the summed draw never exceeds the limit across plug-ins, taper and unplugs", async () => {
  const LIMIT = 33_000;
  const clock = new VirtualClock(0);
  const sched = new VirtualScheduler(clock);
  const delays = [250, 2_500, 900, 1_800, 3_000, 600];
  const stages = delays.map((d) => new SimPowerStage(22_000, 4_140, d, clock));
  const wants = stages.map(() => 0);
  const reported = stages.map((): number | null => 0);
  const manager = new PowerManager({
    clock,
    scheduler: sched,
    limits: { id: "site", limitW: LIMIT },
    stalls: stages.map((stage, i) => ({ stallId: stallId(`s${i}`), nodeId: "site", stage, safeLimitW: 4_140, acceptanceW: () => reported[i]! })),
    pollMs: 50,
    settleMs: 5_000,
    minSoftReplanMs: 1_000,
  });
  let worst = -Infinity;
  let samples = 0;
  const run = async (untilMs: number) => {
    while (clock.now() < untilMs) {
      await sched.advance(10);
      for (const [i, st] of stages.entries()) {
        st.advanceTo(clock.now());
        st.setMeasured(wants[i]!);
      }
      await flush();
      const draw = stages.reduce((a, st) => a + st.status().measuredW, 0);
      worst = Math.max(worst, draw - LIMIT);
      samples++;
    }
  };
  const plug = async (i: number, w: number, rep: number | null = w) => {
    await stages[i]!.setContactor(true);
    wants[i] = w;
    reported[i] = rep;
    manager.stallCharging(stallId(`s${i}`), true);
    void manager.replan("plug-in");
  };
  await manager.start();
  await plug(0, 22_000);
  await plug(1, 22_000);
  await run(8_000);
  await plug(2, 11_000, null);
  await plug(3, 22_000);
  await run(20_000);
  wants[1] = 6_000; // taper
  reported[1] = 6_000;
  await plug(4, 22_000);
  await run(40_000);
  wants[0] = 0; // unplug
  reported[0] = 0;
  manager.stallCharging(stallId("s0"), false);
  void manager.replan("unplug");
  await plug(5, 22_000);
  await run(70_000);

  expect(samples).toBe(7_000);
  expect(worst).toBeLessThanOrEqual(0);
  const draw = stages.reduce((a, st) => a + st.status().measuredW, 0);
  expect(draw).toBeGreaterThan(LIMIT - 2_000); // and the limit is used
  await manager.close();
});
