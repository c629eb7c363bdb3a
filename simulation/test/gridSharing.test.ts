import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, expect, test } from "vitest";
import { SimulatedSite } from "../src/simulatedSite.js";

/**
 * The embedded default's site (network/: 20 stalls, 300 cars over 16 h from 05:00, site-1's seed)
 * over its whole simulated day: the grid limit must be shared for a good part of it (the cars ask
 * for more than the limit, the plan hands out exactly the limit, so cars get less than they could
 * take), and the cars' measured draw never exceeds the limit, also while plans change.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("the default site's day keeps its grid limit contended for over a third of the day, never exceeded", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chargemesh-sharing-"));
  dirs.push(dataDir);
  const counts = { steps: 0, binding: 0, shortchanged: 0, overLimit: 0, maxCharging: 0, maxDrawW: 0 };
  let site!: SimulatedSite;
  site = await SimulatedSite.create({
    siteId: "site-1",
    dataDir,
    stalls: 20,
    vehicles: 300,
    seed: 1,
    offline: false,
    startMs: Date.UTC(2026, 5, 1, 5),
    windowMs: 16 * 3_600_000,
    log: pino({ level: "silent" }),
    onStep: () => {
      counts.steps++;
      const limitW = site.config.gridLimitW;
      const drawW = site.stalls.reduce((sum, s) => sum + s.stage.drawW(), 0);
      const charging = site.stalls.filter((s) => s.stage.drawW() > 0).length;
      counts.maxDrawW = Math.max(counts.maxDrawW, drawW);
      counts.maxCharging = Math.max(counts.maxCharging, charging);
      if (drawW > limitW) counts.overLimit++;
      const plan = site.power.currentPlan()?.plan;
      if (!plan) return;
      const allocatedW = plan.setpoints.reduce((sum, s) => sum + s.setpointW, 0);
      const demandW = plan.setpoints.reduce((sum, s) => sum + s.demandW, 0);
      if (allocatedW === limitW && demandW > limitW) {
        counts.binding++;
        if (plan.setpoints.some((s) => s.setpointW < s.demandW)) counts.shortchanged++;
      }
    },
  });
  const summary = await site.run();
  const delivered = site.stalls.map((s) => s.meter.registerWh());
  await site.stop();
  console.log("grid sharing over the default day:", { ...counts, limitW: site.config.gridLimitW, summary });

  expect(site.config.gridLimitW).toBe(1_200_000);
  expect(summary.sessions).toEqual({ completed: summary.served, rejected: 0, failed: 0, open: 0 });
  expect(summary.served).toBeGreaterThanOrEqual(290);
  expect(counts.steps).toBeGreaterThan(16 * 3600);
  // Shared for over a third of the simulated day (about 44% with this plan), each binding plan
  // giving some car less than it could take.
  expect(counts.binding / counts.steps).toBeGreaterThan(1 / 3);
  expect(counts.shortchanged).toBe(counts.binding);
  expect(counts.maxCharging).toBe(20);
  // Never above the limit, at any step.
  expect(counts.overLimit).toBe(0);
  expect(counts.maxDrawW).toBeLessThanOrEqual(1_200_000);
  // Every stall delivers, not just the first few.
  for (const wh of delivered) expect(wh).toBeGreaterThan(100_000);
}, 900_000);
