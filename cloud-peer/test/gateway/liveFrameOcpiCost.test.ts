import { randomBytes } from "node:crypto";
import { expect, test } from "vitest";
import {
  encodeRecordBody,
  encodeSignedRecord,
  liveSessionCost,
  liveTelemetryMessage,
  meterId,
  rateVerifiedSession,
  readConfigOcpiTariffs,
  sessionId,
  stallId,
} from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import type { ConfigDocument, HeldOcpiTariffs } from "@chargemesh/shared-model";
import type { FeedEnvelope } from "../../src/gateway/feedEnvelope.js";
import { LocalFrameBus } from "../../src/gateway/feedEnvelope.js";
import { LiveFrameProducer } from "../../src/gateway/liveFrameProducer.js";
import type { SiteFactsSource } from "../../src/gateway/liveFrameProducer.js";
import { SiteJournalFacts } from "../../src/gateway/siteJournalFacts.js";
import type { Tariff } from "../../src/gateway/costSoFar.js";

// ENERGY + FLAT with a night price, and TIME billed per started minute (prices as decimal text).
const energyFlatJson = `{"country_code":"DE","party_id":"CMS","id":"demo","currency":"EUR","elements":[
  {"price_components":[{"type":"ENERGY","price":0.29,"vat":19,"step_size":1}],"restrictions":{"start_time":"22:00","end_time":"07:00"}},
  {"price_components":[{"type":"ENERGY","price":0.39,"vat":19,"step_size":1},{"type":"FLAT","price":1.00,"vat":19,"step_size":1}]}]}`;
const timeJson = `{"country_code":"DE","party_id":"CMS","id":"timed","currency":"EUR","elements":[
  {"price_components":[{"type":"TIME","price":3.60,"vat":19,"step_size":60},{"type":"ENERGY","price":0.333,"vat":19,"step_size":1}],"restrictions":{"start_time":"17:00","end_time":"20:00"}},
  {"price_components":[{"type":"TIME","price":1.20,"vat":19,"step_size":60},{"type":"ENERGY","price":0.25,"vat":7,"step_size":1}]}]}`;
const zone = "Europe/Berlin";
const simple: Tariff = {
  id: "flat",
  energyMinorPerKWh: 46,
  sessionFeeMinor: 119,
  currency: "EUR",
  validFromMs: 0,
};
const startedAtMs = Date.UTC(2026, 5, 3, 14, 41, 7); // 16:41 Berlin: the evening window opens mid-session

function held(json: string): HeldOcpiTariffs {
  const r = readConfigOcpiTariffs({ tariffsJson: json, timeZone: zone });
  if (!r.ok) throw r.error;
  return r.value;
}

/** Charges one session for 40 messages 90 s apart at 11 kW; returns the frames' cost figures. */
function charge(facts: SiteFactsSource): {
  costs: (number | null)[];
  currency: string | null;
  endMs: number;
  endWh: number;
} {
  const bus = new LocalFrameBus();
  const seen: FeedEnvelope[] = [];
  bus.onEnvelope((e) => seen.push(e));
  const producer = new LiveFrameProducer(facts, bus);
  let endMs = 0;
  let endWh = 0;
  for (let i = 0; i < 40; i++) {
    endMs = startedAtMs + i * 90_000 + 1_234;
    endWh = i * 275;
    producer.onTelemetry(
      liveTelemetryMessage("site-1", i + 1, endMs, [
        {
          stallId: "s1",
          phase: "charging",
          sessionId: "site-1:ocpi",
          powerW: 11_000,
          sessionEnergyWh: endWh,
          grantedW: 11_000,
        },
      ]),
    );
  }
  const figures = seen.map((e) => e.frame.figures);
  expect(figures).toHaveLength(40);
  return { costs: figures.map((f) => f.costMinor), currency: figures.at(-1)!.currency, endMs, endWh };
}

const factsWith = (ocpi: HeldOcpiTariffs | null): SiteFactsSource => ({
  session: () => ({ contractId: "DE-CMS-C1", startedAtMs }),
  tariffs: () => [simple],
  ocpiTariffs: () => ocpi,
});

for (const [name, json] of [
  ["ENERGY + FLAT", energyFlatJson],
  ["TIME with a time-of-day window", timeJson],
] as const)
  test(`with OCPI tariffs in the config (${name}) the last live figure equals the invoice of a session ending then`, () => {
    const ocpi = held(json);
    const { costs, currency, endMs, endWh } = charge(factsWith(ocpi));
    const invoice = rateVerifiedSession(ocpi.tariffs, zone, {
      sessionId: "site-1:ocpi",
      meterId: "m-1",
      begin: { seq: 3, meterTimeMs: startedAtMs, registerWh: 500_000 },
      end: { seq: 44, meterTimeMs: endMs, registerWh: 500_000 + endWh },
    });
    expect(invoice.ok).toBe(true);
    if (!invoice.ok) return;
    expect(costs.at(-1)).toBe(Number(invoice.value.totalMinorUnits));
    expect(currency).toBe("EUR");
    // The figure never falls while charging and moves.
    for (let i = 1; i < costs.length; i++) expect(costs[i]!).toBeGreaterThanOrEqual(costs[i - 1]!);
    expect(new Set(costs).size).toBeGreaterThan(10);
    // Not the simple tariff's estimate (46 ct/kWh + 1.19 EUR).
    expect(costs.at(-1)).not.toBe(Math.round((endWh * 46) / 1000) + 119);
  });

test("without OCPI tariffs the simple tariff of the config gives the figure, as before", () => {
  const { costs } = charge(factsWith(null));
  expect(costs.at(-1)).toBe(Math.round((39 * 275 * 46) / 1000) + 119);
  const noMethod = charge({ session: () => ({ contractId: null, startedAtMs }), tariffs: () => [simple] });
  expect(noMethod.costs).toEqual(costs);
});

test("SiteJournalFacts reads the config's OCPI tariffs exactly, once per published text; a bad one reads as none", () => {
  let config: Partial<ConfigDocument> | null = null;
  const facts = new SiteJournalFacts(
    {
      syncState: () => [],
      siteView: async () => ({ documents: [] }),
      configs: { urlOf: (siteId) => `config:${siteId}` },
      currentDoc: () => config,
    },
    () => null,
    { now: () => 0 },
  );
  expect(facts.ocpiTariffs("site-1")).toBeNull();
  config = { tariffs: [simple], ocpiTariffs: { tariffsJson: energyFlatJson, timeZone: zone } };
  const first = facts.ocpiTariffs("site-1");
  expect(first?.timeZone).toBe(zone);
  expect(first?.tariffs[0]?.elements[1]?.price_components[1]?.price).toBe("1.00");
  expect(facts.ocpiTariffs("site-1")).toBe(first); // cached while the text is the same
  config = { ...config, ocpiTariffs: { tariffsJson: timeJson, timeZone: zone } };
  expect(facts.ocpiTariffs("site-1")?.tariffs[0]?.id).toBe("timed");
  config = { ...config, ocpiTariffs: { tariffsJson: `{"id":"x"}`, timeZone: zone } };
  expect(facts.ocpiTariffs("site-1")).toBeNull();
  config = { ...config, ocpiTariffs: { tariffsJson: energyFlatJson, timeZone: "Nowhere/Else" } };
  expect(facts.ocpiTariffs("site-1")).toBeNull();
});

/** A signed begin record of `session` on meter m-1 at `meterTimeMs` (any key: the facts source reads it, the invoice verifies it). */
function signedBegin(session: string, seq: number, meterTimeMs: number, registerWh: number): Uint8Array {
  const seed = new Uint8Array(randomBytes(32));
  const bodyBytes = encodeRecordBody({
    version: 1,
    meterId: meterId("m-1"),
    seq,
    prevHash: new Uint8Array(32),
    meterTimeMs,
    registerWh,
    stallId: stallId("s1"),
    sessionId: sessionId(session),
    kind: "begin",
    status: 0,
    meterPayload: null,
  });
  return encodeSignedRecord({ bodyBytes, signature: nodeEd25519.sign(bodyBytes, seed) });
}

test("the live figure starts at the signed begin record, not at the authorization before it: the last one equals the invoice (TIME)", async () => {
  const ocpi = held(timeJson);
  const authorizedAtMs = startedAtMs - 4 * 60_000 - 17_000; // the journal's start, 4 min 17 s before the begin record
  const entry = {
    sessionId: "site-1:ocpi",
    stallId: "s1",
    meterId: "m-1",
    startedAtMs: authorizedAtMs,
    state: "charging",
    contractId: "DE-ABC-C00000001-1",
    authorization: null,
    begin: { meterId: "m-1", seq: 3, registerWh: 500_000 },
    end: null,
    endedAtMs: null,
    stopReason: null,
    stoppedBy: null,
  };
  const journal = {
    schemaVersion: 1,
    siteId: "site-1",
    day: "2026-06-03",
    sessions: { [entry.sessionId]: entry },
    technicianActions: [],
  };
  const segment = {
    schemaVersion: 1,
    meterId: "m-1",
    day: "2026-06-03",
    records: { "m-1/3": signedBegin(entry.sessionId, 3, startedAtMs, 500_000) },
  };
  const documents: { doc: unknown }[] = [{ doc: journal }];
  let siteViews = 0;
  const facts = new SiteJournalFacts(
    {
      syncState: () => [{ siteId: "site-1" }],
      siteView: async () => (siteViews++, { documents: [...documents] }),
      configs: { urlOf: (siteId) => `config:${siteId}` },
      currentDoc: () => ({ tariffs: [simple], ocpiTariffs: { tariffsJson: timeJson, timeZone: zone } }),
    },
    () => null,
    { now: () => 0 },
    60_000,
  );
  const costFrom = (fromMs: number, nowMs: number, energyWh: number) => {
    const r = liveSessionCost(ocpi.tariffs, zone, {
      sessionId: entry.sessionId,
      startMs: fromMs,
      nowMs,
      energyWh,
    });
    if (!r.ok) throw r.error;
    return Number(r.value.totalMinorUnits);
  };

  // Before the begin record has synced: the journal's start, the only one known (an estimate).
  await facts.refresh("site-1");
  expect(facts.session("site-1", entry.sessionId)).toMatchObject({
    startedAtMs: authorizedAtMs,
    beginAtMs: null,
  });
  const early = charge(facts);
  expect(early.costs.at(-1)).toBe(costFrom(authorizedAtMs, early.endMs, early.endWh));

  // Once the segment is here, the figure counts from the begin record's meter time, as the invoice.
  documents.push({ doc: segment });
  await facts.refresh("site-1");
  expect(facts.session("site-1", entry.sessionId)?.beginAtMs).toBe(startedAtMs);
  const { costs, endMs, endWh } = charge(facts);
  const invoice = rateVerifiedSession(ocpi.tariffs, zone, {
    sessionId: entry.sessionId,
    meterId: "m-1",
    begin: { seq: 3, meterTimeMs: startedAtMs, registerWh: 500_000 },
    end: { seq: 44, meterTimeMs: endMs, registerWh: 500_000 + endWh },
  });
  if (!invoice.ok) throw invoice.error;
  expect(costs.at(-1)).toBe(Number(invoice.value.totalMinorUnits));
  // The gap is priced: counted from the authorization, the figure would not be the invoice's.
  expect(early.costs.at(-1)).not.toBe(Number(invoice.value.totalMinorUnits));
  // A found begin time is kept: no more re-reads while the session charges.
  const reads = siteViews;
  charge(facts);
  expect(siteViews).toBe(reads);
});

test("a begin record that names another session is not taken for the session's start", async () => {
  const entry = {
    sessionId: "site-1:ocpi",
    stallId: "s1",
    meterId: "m-1",
    startedAtMs: startedAtMs - 60_000,
    state: "charging",
    contractId: null,
    authorization: null,
    begin: { meterId: "m-1", seq: 3, registerWh: 0 },
    end: null,
    endedAtMs: null,
    stopReason: null,
    stoppedBy: null,
  };
  const facts = new SiteJournalFacts(
    {
      syncState: () => [],
      siteView: async () => ({
        documents: [
          {
            doc: {
              schemaVersion: 1,
              siteId: "site-1",
              day: "2026-06-03",
              sessions: { [entry.sessionId]: entry },
              technicianActions: [],
            },
          },
          {
            doc: {
              schemaVersion: 1,
              meterId: "m-1",
              day: "2026-06-03",
              records: { "m-1/3": signedBegin("site-1:other", 3, startedAtMs, 0) },
            },
          },
        ],
      }),
      configs: { urlOf: (siteId) => `config:${siteId}` },
      currentDoc: () => null,
    },
    () => null,
    { now: () => 0 },
  );
  await facts.refresh("site-1");
  expect(facts.session("site-1", entry.sessionId)).toMatchObject({
    startedAtMs: entry.startedAtMs,
    beginAtMs: null,
  });
});
