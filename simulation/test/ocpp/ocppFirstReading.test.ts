import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, expect, test } from "vitest";
import type { StallId } from "@chargemesh/shared-model";
import { SimulatedSite } from "../../src/simulatedSite.js";
import { until } from "../../../testing/until.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("an idle OCPP stall is read as soon as its charger boots (TriggerMessage MeterValues), so a new charger raises no meter fault before its first transaction", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "chargemesh-ocpp-first-reading-"));
  dirs.push(dataDir);
  const site = await SimulatedSite.create({
    siteId: "ocpp-first-reading",
    dataDir,
    stalls: 2,
    vehicles: 0,
    seed: 5,
    offline: true,
    ocppStalls: 1,
    startMs: Date.UTC(2026, 5, 1, 7),
    windowMs: 600_000,
    log: pino({ level: "silent" }),
  });
  try {
    const stall = site.config.stalls[1]!.id as StallId;
    const evse = site.ocpp!.site.evse(stall)!;
    await until("the charger's first reading", () => evse.hasReading(), 60_000, 50);
    const read = await site.ocpp!.drivers(0).meter.read();
    expect(read.ok, JSON.stringify(read)).toBe(true);
    // No session ran: the reading came from the triggered MeterValues.
    expect(site.controller.journal.all()).toEqual([]);
  } finally {
    await site.stop();
  }
}, 120_000);
