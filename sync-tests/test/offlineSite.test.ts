import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "cm-offline-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a 20-stall site with no cloud serves 200 cars; the auditor's CLI accepts its ledger", () => {
  const sim = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "simulation/src/cli/simSite.ts",
      "--stalls",
      "20",
      "--vehicles",
      "200",
      "--offline",
      "--data",
      dir,
      "--json",
    ],
    {
      encoding: "utf8",
    },
  );
  expect(sim.status, sim.stderr).toBe(0);
  const r = JSON.parse(sim.stdout) as {
    arrived: number;
    served: number;
    sessions: { completed: number; rejected: number; failed: number; open: number };
    energyWh: number;
    deliveredWh: number;
    bundle: string;
    anchors: string;
  };
  expect(r.arrived).toBe(200);
  expect(r.sessions).toEqual({ completed: r.served, rejected: 0, failed: 0, open: 0 });
  expect(r.energyWh).toBeGreaterThan(1_000_000);
  expect(r.deliveredWh).toBe(r.energyWh);
  const audit = spawnSync(
    process.execPath,
    ["auditor/bin/chargemesh-audit.mjs", "verify", r.bundle, "--trust", r.anchors, "--json"],
    { encoding: "utf8" },
  );
  expect(audit.status, audit.stdout).toBe(0);
  const report = JSON.parse(audit.stdout) as {
    ok: boolean;
    deliveredWh: number;
    sessionsWh: number;
    sessions: unknown[];
  };
  expect(report.ok).toBe(true);
  expect(report.sessionsWh).toBe(r.energyWh);
  expect(report.deliveredWh).toBe(report.sessionsWh);
  expect(report.sessions).toHaveLength(r.sessions.completed);
}, 300_000);
