import { afterEach, expect, test } from "vitest";
import { certificateFingerprint } from "@chargemesh/shared-model";
import { makeTestPki } from "./ocppTestPki.js";
import { NOW, OcppTestSite, emaid } from "./ocppTestSite.js";
import type { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";

let site: OcppTestSite | null = null;
let chargers: SimulatedOcppCharger[] = [];
afterEach(async () => {
  for (const c of chargers) await c.close();
  await site?.stop();
  site = null;
  chargers = [];
});

const MIN = 60_000;

test("24 h charger outage: offline sessions replay with offline=true, a contract revoked meanwhile is refused and blocked on the charger, nothing exceeds the installed limit", async () => {
  const pki = await makeTestPki(NOW);
  const station = { stationId: "CP-OUT", maxW: 22_000, safeLimitW: 7_000 };
  const a = emaid(10);
  const b = emaid(11);
  site = await OcppTestSite.start({
    pki,
    gridLimitW: 30_000,
    stations: [station],
    standing: { [a]: "good", [b]: "good" },
  });
  const charger = site.charger(pki, station, { initialRegisterWh: 5_000 });
  chargers.push(charger);
  await charger.connect();
  await site.run(MIN, 30_000, [charger]);
  const chainA = await pki.contract(a);
  const chainB = await pki.contract(b);

  // B charges once online (the site learns its chain), then A plugs in online.
  let plugged = charger.plug({ certificatePem: chainB.chainPem, emaid: b, maxW: 11_000 });
  await site.settle([charger]);
  await plugged;
  await site.run(5 * MIN, MIN, [charger]);
  await charger.unplug();
  await site.settle([charger]);
  plugged = charger.plug({ certificatePem: chainA.chainPem, emaid: a, maxW: 16_000 });
  await site.settle([charger]);
  await plugged;
  const aStartWh = charger.registerWh();
  await site.run(10 * MIN, MIN, [charger]);
  const [sessionA] = site.sessions();
  expect(sessionA).toMatchObject({ contractId: a, state: "charging" });
  const installedW = charger.compositeLimitW();

  // The link to the controller is cut for 24 h; the charger keeps serving on its own.
  await charger.cut();
  let maxDrawW = 0;
  const watch = () => void (maxDrawW = Math.max(maxDrawW, charger.drawW()));
  await site.run(2 * 60 * MIN, 10 * MIN, [charger], watch);
  await charger.unplug(); // A leaves while offline
  const aEndWh = charger.registerWh();
  site.trust.revoked.add(certificateFingerprint(chainB.chainDer[0]!)); // B's contract is revoked meanwhile
  await site.run(60 * MIN, 10 * MIN, [charger], watch);
  await charger.plug({ certificatePem: chainB.chainPem, emaid: b, maxW: 11_000 }); // authorized from the charger's local list
  expect(charger.drawW()).toBeGreaterThan(0);
  await site.run(2 * 60 * MIN, 10 * MIN, [charger], watch);
  await charger.unplug();
  const queued = charger.queuedEvents();
  expect(queued).toBeGreaterThan(10);
  await site.run(19 * 60 * MIN, 60 * MIN, [charger]);
  expect(maxDrawW).toBeLessThanOrEqual(installedW);
  expect(charger.maxExcessW).toBe(0);

  // Reconnect (no reboot): the queue replays, every event answered with idTokenInfo.
  const answersBefore = charger.transactionAnswers.length;
  await charger.connect(false);
  await site.settle([charger]);
  await site.ocpp.syncLocalLists();
  await site.settle([charger]);
  expect(charger.queuedEvents()).toBe(0);
  const replayed = charger.transactionAnswers.slice(answersBefore);
  expect(replayed.length).toBe(queued);
  // Only B's offline Started (cable plugged in, no idToken yet) has no idToken to answer about.
  expect(replayed.filter((r) => r.idTokenInfo === undefined)).toHaveLength(1);

  const doneA = site.controller.journal.get(sessionA!.sessionId)!;
  expect(doneA.state).toBe("completed");
  expect(doneA.end!.registerWh - doneA.begin!.registerWh).toBe(aEndWh - aStartWh);
  const txA = site.ocpp.transaction(station.stationId, `${station.stationId}-tx-2`)!;
  expect(txA).toMatchObject({ ended: true });
  expect(txA.offlineEvents).toBeGreaterThan(0);

  const refusedB = site.sessions().find((s) => s.contractId === b && s.state === "rejected");
  expect(refusedB?.authorization).toMatchObject({ accepted: false, reason: "CertificateRevoked" });
  expect(charger.localListStatus(b)).toBe("Invalid");
  expect(charger.localListStatus(a)).toBe("Accepted");
  const metrics = await site.controller.metrics.registry.getSingleMetricAsString(
    "chargemesh_ocpp_messages_total",
  );
  expect(metrics).toMatch(/action="GetTransactionStatus",direction="out"/);
  const report = site.verifyLedger();
  expect(report.findings.filter((f) => f.code !== "duplicate_record")).toEqual([]);
  expect(report.sessions.filter((s) => s.complete)).toHaveLength(2);
}, 120_000);

test("a repeated TransactionEvent is answered again and stored once", async () => {
  const pki = await makeTestPki(NOW);
  const station = { stationId: "CP-REP", maxW: 11_000, safeLimitW: 5_000 };
  const a = emaid(20);
  site = await OcppTestSite.start({
    pki,
    gridLimitW: 30_000,
    stations: [station],
    standing: { [a]: "good" },
  });
  const charger = site.charger(pki, station);
  chargers.push(charger);
  await charger.connect();
  await site.run(MIN, 30_000, [charger]);
  const plugged = charger.plug({ certificatePem: (await pki.contract(a)).chainPem, emaid: a, maxW: 11_000 });
  await site.settle([charger]);
  await plugged;
  await site.run(3 * MIN, MIN, [charger]);
  const txId = charger.transactionId()!;
  const before = site.ocpp.transaction(station.stationId, txId)!;
  const answers = charger.transactionAnswers.length;
  await charger.repeatLastEvent();
  await charger.repeatLastEvent();
  await site.settle([charger]);
  expect(charger.transactionAnswers.length).toBe(answers + 2);
  expect(charger.transactionAnswers.slice(-2).map((r) => r.idTokenInfo?.status)).toEqual([
    "Accepted",
    "Accepted",
  ]);
  expect(site.ocpp.transaction(station.stationId, txId)!.events).toBe(before.events);
  await charger.unplug();
  await site.settle([charger]);
  const [s] = site.sessions();
  expect(s).toMatchObject({ state: "completed" });
  expect(s!.end!.registerWh - s!.begin!.registerWh).toBe(charger.registerWh());
  expect(site.verifyLedger().ok).toBe(true);
}, 60_000);
