import { afterEach, expect, test, vi } from "vitest";
import { stallId, technicianId } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";
import {
  outOfServiceResponseSchema,
  restartChargerResponseSchema,
  stallChargersResponseSchema,
} from "@chargemesh/shared-model/contracts";
import {
  officialOcpp201Validator,
  siteLocalApiDeps,
  startLocalApi,
  technicianTokenDigest,
} from "@chargemesh/edge-node";
import type { LocalApi } from "@chargemesh/edge-node";
import { until } from "../../../testing/until.js";
import { makeTestPki } from "./ocppTestPki.js";
import type { TestPki } from "./ocppTestPki.js";
import { NOW, OcppTestSite, emaid } from "./ocppTestSite.js";
import type { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";

const TECH = "tech-secret-for-remote-control";
const MIN = 60_000;
const validator = officialOcpp201Validator();

let sites: OcppTestSite[] = [];
let apis: LocalApi[] = [];
let chargers: SimulatedOcppCharger[] = [];
afterEach(async () => {
  for (const a of apis) await a.close();
  for (const c of chargers) await c.close();
  for (const s of sites) await s.stop();
  sites = [];
  apis = [];
  chargers = [];
});

/** The site's local API with its OCPP chargers' remote control, as npm start wires it. */
async function apiOf(site: OcppTestSite): Promise<LocalApi> {
  const c = site.controller;
  const deps = siteLocalApiDeps(c, {
    clock: site.clock,
    power: site.power,
    hardware: c.config.stalls.map((s) => ({ config: s, ...site.ocpp.hardwareFor(s.id)! })),
    technicians: [{ id: technicianId("alice"), tokenSha256: technicianTokenDigest(TECH) }],
    chargers: site.ocpp.remote,
    kioskDir: null,
  });
  const api = await startLocalApi(deps, "127.0.0.1", 0);
  apis.push(api);
  return api;
}

const post = async (api: LocalApi, path: string, body: unknown) => {
  const r = await fetch(api.url + path, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", authorization: `Bearer ${TECH}` },
  });
  return { status: r.status, body: (await r.json()) as unknown };
};
const stallChargers = async (api: LocalApi) =>
  stallChargersResponseSchema.parse(
    await (
      await fetch(`${api.url}/api/stall-chargers`, { headers: { authorization: `Bearer ${TECH}` } })
    ).json(),
  ).stalls;

async function twoStationSite(pki: TestPki, dataDir?: string) {
  const stations = [
    { stationId: "CP-RC-A", maxW: 22_000, safeLimitW: 11_000 },
    { stationId: "CP-RC-B", maxW: 22_000, safeLimitW: 11_000 },
  ];
  const site = await OcppTestSite.start({
    pki,
    gridLimitW: 40_000,
    stations,
    standing: { [emaid(70)]: "good" },
    ...(dataDir ? { dataDir } : {}),
  });
  sites.push(site);
  return { site, stations };
}

test("out of service and back reach the OCPP charger as ChangeAvailability; a charger away gets it at its next connection; restart-charger sends Reset", async () => {
  const pki = await makeTestPki(NOW);
  const { site, stations } = await twoStationSite(pki);
  const api = await apiOf(site);
  const a = site.charger(pki, stations[0]!);
  const b = site.charger(pki, stations[1]!);
  chargers.push(a, b);
  await a.connect();
  await site.run(MIN, 30_000, [a]);
  const provisioningCalls = a.availabilityRequests.length;
  expect(provisioningCalls).toBe(0); // nothing remembered: a charger in service is not told anything

  // Out of service: the charger hears Inoperative for its EVSE and accepts; the technician sees the answer.
  const out = await post(api, "/api/stalls/s1/out-of-service", { outOfService: true, note: "cable damaged" });
  expect(out.status).toBe(200);
  expect(outOfServiceResponseSchema.parse(out.body)).toEqual({
    stallId: "s1",
    outOfService: true,
    charger: { chargerId: "CP-RC-A", evseId: 1, status: "Accepted" },
  });
  expect(a.availabilityRequests).toEqual([{ operationalStatus: "Inoperative", evse: { id: 1 } }]);
  expect(validator.check("ChangeAvailability", "req", a.availabilityRequests[0])).toBeNull();
  await site.settle([a]);
  expect(a.isOperative()).toBe(false);
  // A driver at the charger itself: no transaction starts, so no session either.
  await a.plug({ certificatePem: (await pki.contract(emaid(70))).chainPem, emaid: emaid(70), maxW: 11_000 });
  await site.settle([a]);
  expect(a.transactionId()).toBeNull();
  expect(site.sessions()).toEqual([]);
  await a.unplug();

  // Back in service: Operative.
  const back = await post(api, "/api/stalls/s1/out-of-service", { outOfService: false });
  expect(outOfServiceResponseSchema.parse(back.body).charger).toEqual({
    chargerId: "CP-RC-A",
    evseId: 1,
    status: "Accepted",
  });
  expect(a.availabilityRequests.at(-1)).toEqual({ operationalStatus: "Operative", evse: { id: 1 } });
  await site.settle([a]);
  expect(a.isOperative()).toBe(true);

  // CP-RC-B is away: the answer says so, the site remembers, and the charger hears Inoperative when it connects.
  const away = await post(api, "/api/stalls/s2/out-of-service", { outOfService: true });
  expect(outOfServiceResponseSchema.parse(away.body).charger).toMatchObject({
    chargerId: "CP-RC-B",
    evseId: 1,
    status: "not_connected",
  });
  expect((await stallChargers(api)).find((s) => s.stallId === "s2")).toEqual({
    stallId: "s2",
    chargerId: "CP-RC-B",
    evseId: 1,
    connected: false,
    operative: false,
    availabilityPending: true,
  });
  await b.connect();
  await site.settle([a, b]);
  expect(b.availabilityRequests).toEqual([{ operationalStatus: "Inoperative", evse: { id: 1 } }]);
  expect(b.isOperative()).toBe(false);
  expect((await stallChargers(api)).find((s) => s.stallId === "s2")).toMatchObject({
    connected: true,
    operative: false,
    availabilityPending: false,
  });

  // Restart charger: Reset of the station with the type asked, journaled with who did it.
  const journaled = vi.spyOn(site.controller.journal, "recordTechnicianAction");
  const onIdle = await post(api, "/api/stalls/s1/restart-charger", { type: "OnIdle", note: "firmware hang" });
  expect(onIdle.status).toBe(200);
  expect(restartChargerResponseSchema.parse(onIdle.body)).toEqual({
    stallId: "s1",
    type: "OnIdle",
    charger: { chargerId: "CP-RC-A", evseId: null, status: "Accepted" },
  });
  const immediate = await post(api, "/api/stalls/s1/restart-charger", { type: "Immediate" });
  expect(restartChargerResponseSchema.parse(immediate.body).charger.status).toBe("Accepted");
  expect(a.resetRequests).toEqual([{ type: "OnIdle" }, { type: "Immediate" }]);
  for (const r of a.resetRequests) expect(validator.check("Reset", "req", r)).toBeNull();
  expect(journaled.mock.calls.map(([x]) => [x.action, x.stallId, x.technicianId, x.note])).toEqual([
    ["restart_charger", "s1", "alice", "firmware hang"],
    ["restart_charger", "s1", "alice", ""],
  ]);
  // A restart of a charger that is away is answered so, not queued.
  await b.cut();
  const bAway = await post(api, "/api/stalls/s2/restart-charger", { type: "Immediate" });
  expect(restartChargerResponseSchema.parse(bAway.body).charger.status).toBe("not_connected");
  expect(b.resetRequests).toEqual([]);
  expect(await (await fetch(`${api.url}/metrics`)).text()).toMatch(
    /chargemesh_ocpp_remote_commands_total\{command="ChangeAvailability",status="Accepted"[^}]*\} [1-9]/,
  );
  expect(a.validationFailures).toEqual([]);
  expect(b.validationFailures).toEqual([]);
}, 60_000);

test("out of service during a charge: the charger answers Scheduled, the session is stopped, and the EVSE is then Unavailable", async () => {
  const pki = await makeTestPki(NOW);
  const { site, stations } = await twoStationSite(pki);
  const api = await apiOf(site);
  const a = site.charger(pki, stations[0]!);
  chargers.push(a);
  await a.connect();
  await site.run(MIN, 30_000, [a]);
  const plugged = a.plug({
    certificatePem: (await pki.contract(emaid(70) as ContractId)).chainPem,
    emaid: emaid(70),
    maxW: 11_000,
  });
  await site.settle([a]);
  await plugged;
  await site.run(2 * MIN, MIN, [a]);
  expect(site.sessions()[0]).toMatchObject({ state: "charging" });
  const out = await post(api, "/api/stalls/s1/out-of-service", { outOfService: true });
  expect(outOfServiceResponseSchema.parse(out.body).charger).toEqual({
    chargerId: "CP-RC-A",
    evseId: 1,
    status: "Scheduled",
  });
  await site.run(MIN, 30_000, [a]);
  expect(a.transactionId()).toBeNull(); // RequestStopTransaction from the orchestrator's stop
  expect(site.sessions()[0]).toMatchObject({ state: "completed", stopReason: "technician_stop" });
  expect(a.isOperative()).toBe(false);
  expect(site.controller.orchestrator.stallViews().find((v) => v.stallId === "s1")!.phase).toBe(
    "out_of_service",
  );
  expect(a.validationFailures).toEqual([]);
}, 60_000);

test("back in service while the charger is away, then a controller restart: the remembered Operative reaches the charger at its next connection", async () => {
  const pki = await makeTestPki(NOW);
  const { site: first, stations } = await twoStationSite(pki);
  const api = await apiOf(first);
  const a = first.charger(pki, stations[0]!);
  chargers.push(a);
  await a.connect();
  await first.settle([a]);
  await post(api, "/api/stalls/s1/out-of-service", { outOfService: true });
  await first.settle([a]);
  expect(a.isOperative()).toBe(false);
  await a.cut();
  const back = await post(api, "/api/stalls/s1/out-of-service", { outOfService: false });
  expect(outOfServiceResponseSchema.parse(back.body).charger?.status).toBe("not_connected");

  // A new controller on the same data directory: the journal says in service, site.sqlite that the charger has not heard it.
  await apis.pop()!.close();
  await first.stop(true);
  sites = sites.filter((s) => s !== first);
  const second = (await twoStationSite(pki, first.dataDir)).site;
  expect(second.ocpp.remote.chargers().find((s) => s.stallId === "s1")).toMatchObject({
    operative: true,
    availabilityPending: true,
  });
  a.reconnectTo(second.ocpp.url);
  await a.connect();
  await second.settle([a]);
  expect(a.availabilityRequests.at(-1)).toEqual({ operationalStatus: "Operative", evse: { id: 1 } });
  expect(a.isOperative()).toBe(true);
  expect(second.ocpp.remote.chargers().find((s) => s.stallId === "s1")).toMatchObject({
    connected: true,
    availabilityPending: false,
  });
  // An in-service EVSE the charger acknowledged is not told again at the next connection.
  const told = a.availabilityRequests.length;
  await a.cut();
  await a.connect();
  await second.settle([a]);
  expect(a.availabilityRequests.length).toBe(told);
  // Out of service while it is away again; it reconnects without rebooting: Inoperative on its first message.
  await a.cut();
  const api2 = await apiOf(second);
  await post(api2, "/api/stalls/s1/out-of-service", { outOfService: true });
  await a.connect(false);
  await a.advance(); // a message from the charger (its queue, or nothing): the CSMS acts within its wait
  await until("the reconnected charger is told Inoperative", async () => {
    await second.settle([a]);
    return a.availabilityRequests.length === told + 1;
  });
  expect(a.availabilityRequests.at(-1)).toEqual({ operationalStatus: "Inoperative", evse: { id: 1 } });
  expect(a.isOperative()).toBe(false);
  expect(a.validationFailures).toEqual([]);
}, 60_000);

test("a stall the journal holds out of service, with nothing remembered for its charger (a crash before the charger was told, or an older site): Inoperative at the next connection after a restart", async () => {
  const pki = await makeTestPki(NOW);
  const { site: first, stations } = await twoStationSite(pki);
  // The journal records the technician's action; the charger is never told (what a crash right after it leaves).
  await first.controller.orchestrator.setOutOfService(stallId("s1"), true, technicianId("alice"), "");
  expect(first.ocpp.remote.chargers().find((s) => s.stallId === "s1")).toMatchObject({
    operative: true,
    availabilityPending: false,
  });
  await first.stop(true);
  sites = sites.filter((s) => s !== first);
  const second = (await twoStationSite(pki, first.dataDir)).site;
  expect(second.ocpp.remote.chargers().find((s) => s.stallId === "s1")).toMatchObject({
    operative: false,
    availabilityPending: true,
  });
  const a = second.charger(pki, stations[0]!);
  chargers.push(a);
  await a.connect();
  await second.settle([a]);
  expect(a.availabilityRequests).toEqual([{ operationalStatus: "Inoperative", evse: { id: 1 } }]);
  expect(a.isOperative()).toBe(false);
  expect(a.validationFailures).toEqual([]);
}, 60_000);
