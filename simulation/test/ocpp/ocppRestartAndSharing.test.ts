import { afterEach, expect, test } from "vitest";
import { makeTestPki } from "./ocppTestPki.js";
import { NOW, OcppTestSite, emaid } from "./ocppTestSite.js";
import type { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";

let sites: OcppTestSite[] = [];
let chargers: SimulatedOcppCharger[] = [];
afterEach(async () => {
  for (const c of chargers) await c.close();
  for (const s of sites) await s.stop();
  sites = [];
  chargers = [];
});

const MIN = 60_000;

test("the controller restarts mid-session: the charger stays within its installed limit, the session is closed by recovery, the ledger verifies", async () => {
  const pki = await makeTestPki(NOW);
  const station = { stationId: "CP-RST", maxW: 22_000, safeLimitW: 4_000 };
  const a = emaid(30);
  const first = await OcppTestSite.start({
    pki,
    gridLimitW: 9_000,
    stations: [station],
    standing: { [a]: "good" },
  });
  const charger = first.charger(pki, station, { initialRegisterWh: 100 });
  chargers.push(charger);
  await charger.connect();
  await first.run(MIN, 30_000, [charger]);
  const plugged = charger.plug({ certificatePem: (await pki.contract(a)).chainPem, emaid: a, maxW: 16_000 });
  await first.settle([charger]);
  await plugged;
  await first.run(5 * MIN, MIN, [charger]);
  expect(charger.drawW()).toBe(9_000); // the TxProfile: the site's whole limit, under the car's 16 kW
  const [session] = first.sessions();

  // The controller goes away (process stopped); the charger keeps its profile and charges on.
  await first.stop(true);
  await charger.cut();
  for (let i = 0; i < 30; i++) {
    first.clock.advance(MIN);
    await charger.advance(MIN);
    expect(charger.drawW()).toBeLessThanOrEqual(9_000);
  }
  expect(charger.maxExcessW).toBe(0);

  // A new controller process on the same data directory; the charger reconnects without rebooting.
  const second = await OcppTestSite.start({
    pki,
    gridLimitW: 9_000,
    stations: [station],
    standing: { [a]: "good" },
    dataDir: first.dataDir,
    clock: first.clock,
  });
  sites.push(second);
  const recovered = second.controller.journal.get(session!.sessionId)!;
  expect(recovered).toMatchObject({ state: "completed", stopReason: "controller_restart" });
  charger.reconnectTo(second.ocpp.url);
  await charger.connect(false);
  await second.settle([charger]);
  await second.run(2 * MIN, MIN, [charger]);
  // The new process holds no record of the running transaction (no idToken in its updates): it stops it.
  expect(charger.transactionId()).toBeNull();
  expect(second.sessions().filter((s) => s.state === "charging")).toEqual([]);
  const report = second.verifyLedger();
  expect(report.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  expect(report.sessions.find((s) => s.sessionId === session!.sessionId)).toMatchObject({ complete: true });
}, 120_000);

test("20 chargers share the site's limit through charging profiles with no breach in the measured draw", async () => {
  const pki = await makeTestPki(NOW);
  const GRID_W = 100_000;
  const stations = Array.from({ length: 20 }, (_, i) => ({
    stationId: `CP-${String(i + 1).padStart(2, "0")}`,
    maxW: 22_000,
    safeLimitW: 5_000,
  }));
  const contracts = stations.map((_, i) => emaid(100 + i));
  const site = await OcppTestSite.start({
    pki,
    gridLimitW: GRID_W,
    stations,
    standing: Object.fromEntries(contracts.map((c) => [c, "good" as const])),
  });
  sites.push(site);
  for (const s of stations) chargers.push(site.charger(pki, s));
  for (const c of chargers) await c.connect();
  await site.run(MIN, 30_000, chargers);
  let maxSiteW = 0;
  let samples = 0;
  const watch = () => {
    samples++;
    maxSiteW = Math.max(
      maxSiteW,
      chargers.reduce((w, c) => w + c.drawW(), 0),
    );
  };
  // Cars arrive in two waves: the first ten take 11-16 kW each, the second ten force everyone down.
  for (const wave of [0, 1]) {
    const plugs = [];
    for (let i = wave * 10; i < wave * 10 + 10; i++) {
      plugs.push(
        chargers[i]!.plug({
          certificatePem: (await pki.contract(contracts[i]!)).chainPem,
          emaid: contracts[i]!,
          maxW: 11_000 + (i % 6) * 1_000,
        }),
      );
      await site.settle(chargers);
      watch();
    }
    await Promise.all(plugs);
    await site.run(10 * MIN, 2 * MIN, chargers, watch);
  }
  expect(samples).toBeGreaterThan(20);
  expect(maxSiteW).toBeLessThanOrEqual(GRID_W);
  expect(chargers.reduce((w, c) => w + c.drawW(), 0)).toBeGreaterThan(GRID_W * 0.9); // the limit is used, not just respected
  expect(chargers.every((c) => c.drawW() > 0 && c.maxExcessW === 0)).toBe(true);
  for (const c of chargers) await c.unplug();
  await site.settle(chargers);
  const report = site.verifyLedger();
  expect(report.ok).toBe(true);
  expect(report.sessions.filter((s) => s.complete && s.energyWh > 0)).toHaveLength(20);
}, 180_000);
