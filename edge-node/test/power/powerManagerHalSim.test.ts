import { expect, test } from "vitest";
import { VirtualClock, meterId, stallId } from "@chargemesh/shared-model";
import { SimSecureElement, SimStall, SimVehicle } from "@chargemesh/hal";
import { PowerManager } from "../../src/power/powerManager.js";
import { VirtualTimeScheduler } from "../../src/power/virtualTimeScheduler.js";

// The same safety property against hal's SimStall (stage + taper-curve battery), its physics advanced every 10 ms.
test("with hal's SimStall, the summed draw never exceeds the limit across plug-ins, taper and unplugs", async () => {
  const LIMIT = 33_000;
  const clock = new VirtualClock(0);
  const sched = new VirtualTimeScheduler(clock);
  const delays = [250, 2_500, 900, 1_800, 3_000, 600];
  const stalls = delays.map(
    (d, i) =>
      new SimStall({ meterId: meterId(`m${i}`), maxW: 22_000, minW: 4_140, reactionDelayMs: d }, clock),
  );
  const silent = new Set([2]);
  const manager = new PowerManager({
    clock,
    scheduler: sched,
    limits: { id: "site", limitW: LIMIT },
    stalls: stalls.map((s, i) => ({
      stallId: stallId(`s${i}`),
      nodeId: "site",
      stage: s.stage,
      safeLimitW: 4_140,
      acceptanceW: () => (silent.has(i) ? null : (s.link.acceptance()?.maxPowerW ?? 0)),
    })),
    settleMs: 5_000,
    minSoftReplanMs: 1_000,
  });
  let worst = -Infinity;
  let samples = 0;
  const run = async (untilMs: number) => {
    while (clock.now() < untilMs) {
      await sched.advance(10);
      for (const st of stalls) st.advanceTo(clock.now());
      const draw = stalls.reduce((a, st) => a + st.stage.drawW(), 0);
      worst = Math.max(worst, draw - LIMIT);
      samples++;
    }
  };
  const plug = async (i: number, socPermille: number, maxPowerW = 22_000) => {
    stalls[i]!.plug(
      new SimVehicle(
        { capacityWh: 20_000, socPermille, targetPermille: 1_000, maxPowerW },
        new SimSecureElement(),
        [],
      ),
    );
    await stalls[i]!.stage.setContactor(true);
    manager.stallCharging(stallId(`s${i}`), true);
    void manager.replan("plug-in");
  };
  const started = manager.start();
  await run(4_000);
  await started;
  await plug(0, 200);
  await plug(1, 200);
  await run(8_000);
  await plug(2, 300, 11_000);
  await plug(3, 500);
  await run(20_000);
  await plug(4, 900); // high state of charge: tapers
  await run(40_000);
  stalls[0]!.unplug();
  manager.stallCharging(stallId("s0"), false);
  void manager.replan("unplug");
  await plug(5, 100);
  await run(70_000);

  expect(samples).toBe(7_000);
  expect(worst).toBeLessThanOrEqual(0);
  const draw = stalls.reduce((a, st) => a + st.stage.drawW(), 0);
  expect(draw).toBeGreaterThan(LIMIT - 2_000); // and the limit is used
  await manager.close();
});
