import { rmSync } from "node:fs";
import { afterEach, expect, test, vi } from "vitest";
import type { ContractId } from "@chargemesh/shared-model";
import { OcppRpcConnection } from "@chargemesh/edge-node";
import { makeTestPki } from "./ocppTestPki.js";
import { NOW, OcppTestSite, emaid } from "./ocppTestSite.js";
import type { StationSetup } from "./ocppTestSite.js";
import type { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";

let sites: OcppTestSite[] = [];
let dirs: string[] = [];
let chargers: SimulatedOcppCharger[] = [];
afterEach(async () => {
  for (const c of chargers) await c.close();
  for (const s of sites) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  sites = [];
  chargers = [];
  dirs = [];
});

const MIN = 60_000;

/** The calls the CSMS makes to its chargers from now on (action and payload), until `restore`. */
function spyOnCsmsCalls() {
  const calls: Array<{ action: string; payload: Record<string, unknown> }> = [];
  const spy = vi.spyOn(OcppRpcConnection.prototype, "call");
  spy.mockImplementation(function (this: OcppRpcConnection, action, payload) {
    calls.push({ action, payload });
    return callThrough.call(this, action, payload);
  });
  return { calls, restore: () => spy.mockRestore() };
}
const callThrough = OcppRpcConnection.prototype.call;

/** A site charging one car on CP-RST for 5 minutes, then its controller stopped while the charger charges on for 30 minutes. */
async function chargeThenLoseTheController(station: StationSetup, a: string) {
  const pki = await makeTestPki(NOW);
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
  const plugged = charger.plug({
    certificatePem: (await pki.contract(a as ContractId)).chainPem,
    emaid: a,
    maxW: 16_000,
  });
  await first.settle([charger]);
  await plugged;
  await first.run(5 * MIN, MIN, [charger]);
  expect(charger.drawW()).toBe(9_000); // the TxProfile: the site's whole limit, under the car's 16 kW
  const [session] = first.sessions();
  const listVersion = first.ocpp.localListVersion(station.stationId);
  const transactionId = charger.transactionId();

  // The controller goes away (process stopped); the charger keeps its profile and charges on.
  await first.stop(true);
  await charger.cut();
  for (let i = 0; i < 30; i++) {
    first.clock.advance(MIN);
    await charger.advance(MIN);
    expect(charger.drawW()).toBeLessThanOrEqual(9_000);
  }
  expect(charger.maxExcessW).toBe(0);
  return { pki, first, charger, session: session!, listVersion, transactionId };
}

test("the controller restarts mid-session: the running transaction continues in the same session, no stop, the list stays differential, the ledger verifies", async () => {
  const station = { stationId: "CP-RST", maxW: 22_000, safeLimitW: 4_000 };
  const a = emaid(30);
  const { pki, first, charger, session, listVersion, transactionId } = await chargeThenLoseTheController(
    station,
    a,
  );
  expect(session.state).toBe("charging");
  expect(listVersion).toBeGreaterThan(0);
  expect(transactionId).not.toBeNull();

  // A new controller process on the same data directory; the charger reconnects without rebooting.
  const spy = spyOnCsmsCalls();
  try {
    const second = await OcppTestSite.start({
      pki,
      gridLimitW: 9_000,
      stations: [station],
      standing: { [a]: "good" },
      dataDir: first.dataDir,
      clock: first.clock,
    });
    sites.push(second);
    expect(second.ocpp.storeDamage).toEqual([]);
    // Recovery does not close the session: the log says the charger still runs its transaction.
    expect(second.controller.journal.get(session.sessionId)).toMatchObject({ state: "charging", end: null });
    expect(second.ocpp.localListVersion(station.stationId)).toBe(listVersion);
    charger.reconnectTo(second.ocpp.url);
    await charger.connect(false);
    await second.settle([charger]);
    const answersBefore = charger.transactionAnswers.length;
    await second.run(10 * MIN, MIN, [charger]); // Updated events without idToken
    expect(charger.transactionId()).toBe(transactionId);
    expect(charger.drawW()).toBe(9_000); // the power manager's TxProfile again
    expect(
      second
        .sessions()
        .filter((s) => s.state === "charging")
        .map((s) => s.sessionId),
    ).toEqual([session.sessionId]);
    // The updates after the restart are answered with the session's authorization.
    const after = charger.transactionAnswers.slice(answersBefore);
    expect(after.length).toBeGreaterThan(0);
    expect(
      after.every((x) => (x.idTokenInfo as { status?: string } | undefined)?.status === "Accepted"),
    ).toBe(true);

    // The next list change goes out as a Differential update on top of the version the charger holds.
    const b = emaid(31);
    second.trust.standing[b] = "good";
    await second.ocpp.syncLocalLists();
    await second.settle([charger]);
    const lists = spy.calls.filter((c) => c.action === "SendLocalList").map((c) => c.payload);
    expect(lists).toEqual([
      expect.objectContaining({ updateType: "Differential", versionNumber: listVersion! + 1 }),
    ]);
    expect(charger.localListStatus(b)).toBe("Accepted");
    expect(second.ocpp.localListVersion(station.stationId)).toBe(listVersion! + 1);

    // The car leaves: Ended without idToken closes the same session with the whole transaction's energy.
    await charger.unplug();
    await second.settle([charger]);
    await second.run(MIN, MIN, [charger]);
    expect(spy.calls.filter((c) => c.action === "RequestStopTransaction")).toEqual([]);
    const done = second.controller.journal.get(session.sessionId)!;
    expect(done).toMatchObject({ state: "completed", stopReason: "unplugged" });
    expect(done.begin!.registerWh).toBe(100);
    expect(done.end!.registerWh).toBe(charger.registerWh());
    expect(charger.registerWh()).toBeGreaterThan(100 + 9_000 * (40 / 60) * 0.9); // ~45 min at 9 kW
    expect(second.sessions().filter((s) => s.stallId === session.stallId)).toHaveLength(1);
    const tx = second.ocpp.transaction(station.stationId, transactionId!);
    expect(tx).toMatchObject({ ended: true, sessionId: session.sessionId });
    const report = second.verifyLedger();
    expect(report.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
    expect(report.sessions.find((s) => s.sessionId === session.sessionId)).toMatchObject({
      complete: true,
      energyWh: charger.registerWh() - 100,
    });
  } finally {
    spy.restore();
  }
}, 180_000);

test("a controller without the previous one's data stops the running transaction it holds no record of", async () => {
  const station = { stationId: "CP-NEW", maxW: 22_000, safeLimitW: 4_000 };
  const a = emaid(32);
  const { pki, first, charger, transactionId } = await chargeThenLoseTheController(station, a);
  dirs.push(first.dataDir); // stopped with its data kept: removed after the test
  const spy = spyOnCsmsCalls();
  try {
    const second = await OcppTestSite.start({
      pki,
      gridLimitW: 9_000,
      stations: [station],
      standing: { [a]: "good" },
      clock: first.clock,
    });
    sites.push(second);
    charger.reconnectTo(second.ocpp.url);
    await charger.connect(false);
    await second.settle([charger]);
    await second.run(2 * MIN, MIN, [charger]);
    // Nobody authorized it here (no idToken in its updates): it is stopped rather than run unaccounted.
    expect(spy.calls.filter((c) => c.action === "RequestStopTransaction").map((c) => c.payload)).toEqual([
      { transactionId },
    ]);
    expect(charger.transactionId()).toBeNull();
    expect(second.sessions().filter((s) => s.state === "charging")).toEqual([]);
  } finally {
    spy.restore();
  }
}, 180_000);

test("a session the site stopped while the charger was away is not adopted after a restart: its transaction is stopped", async () => {
  const pki = await makeTestPki(NOW);
  const station = { stationId: "CP-OVR", maxW: 22_000, safeLimitW: 4_000 };
  const a = emaid(33);
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
  const plugged = charger.plug({
    certificatePem: (await pki.contract(a)).chainPem,
    emaid: a,
    maxW: 16_000,
  });
  await first.settle([charger]);
  await plugged;
  await first.run(5 * MIN, MIN, [charger]);
  const [session] = first.sessions();
  const transactionId = charger.transactionId()!;

  // The link drops, then the site ends the session (a technician's stop): no RequestStop can reach the charger.
  await charger.cut();
  expect(first.controller.orchestrator.requestStop(session!.stallId, "technician_stop", null)).toBe(true);
  await first.settle();
  expect(first.controller.journal.get(session!.sessionId)).toMatchObject({ state: "completed" });
  expect(first.ocpp.transaction(station.stationId, transactionId)).toMatchObject({
    ended: false,
    sessionOver: true,
  });
  await first.stop(true);
  for (let i = 0; i < 10; i++) {
    first.clock.advance(MIN);
    await charger.advance(MIN);
  }

  const spy = spyOnCsmsCalls();
  try {
    const second = await OcppTestSite.start({
      pki,
      gridLimitW: 9_000,
      stations: [station],
      standing: { [a]: "good" },
      dataDir: first.dataDir,
      clock: first.clock,
    });
    sites.push(second);
    charger.reconnectTo(second.ocpp.url);
    await charger.connect(false);
    await second.settle([charger]);
    await second.run(2 * MIN, MIN, [charger]);
    expect(spy.calls.filter((c) => c.action === "RequestStopTransaction").map((c) => c.payload)).toEqual([
      { transactionId },
    ]);
    expect(charger.transactionId()).toBeNull();
    // No second session was opened for the rest of the transaction.
    expect(second.sessions().map((s) => s.sessionId)).toEqual([session!.sessionId]);
  } finally {
    spy.restore();
  }
}, 180_000);

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
