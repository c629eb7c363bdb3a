import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { VirtualClock, certificateFingerprint, contractId } from "@chargemesh/shared-model";
import type { AuthorizationDecision } from "@chargemesh/shared-model";
import { ContractChains, pemChain } from "../../src/ocpp/contractChains.js";
import { localListFrom } from "../../src/ocpp/localAuthList.js";
import { openOcppSiteDatabase } from "../../src/ocpp/ocppSiteDatabase.js";
import { OcppSite } from "../../src/ocpp/ocppSite.js";
import { OcppTransactionLog } from "../../src/ocpp/ocppTransactionLog.js";
import { SqliteContractChainStore } from "../../src/ocpp/sqliteContractChainStore.js";
import { SqliteLocalListVersions } from "../../src/ocpp/sqliteLocalListVersionStore.js";
import { SqliteOcppTransactionStore } from "../../src/ocpp/sqliteOcppTransactionStore.js";

// Two throwaway self-signed P-256 certificates (no key kept): a chain to cache.
const LEAF_PEM = `-----BEGIN CERTIFICATE-----
MIIBnTCCAUOgAwIBAgIUZHNt5KaW8VTQHk2f5j/7DS9wa9MwCgYIKoZIzj0EAwIw
IzEhMB8GA1UEAwwYY2hhcmdlbWVzaCB0ZXN0IGNvbnRyYWN0MCAXDTI2MTIwMjA2
MzgxOVoYDzIxMjYxMTA4MDYzODE5WjAjMSEwHwYDVQQDDBhjaGFyZ2VtZXNoIHRl
c3QgY29udHJhY3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARaoSOK9OdWNk26
AjR88M95pJB4F0TyqA3ajTca83Qp6uGNSD5QGDR9tm3DmnMZ8ZuVd4sdiiAP6dzD
HpVBKuZlo1MwUTAdBgNVHQ4EFgQUB7hvEz2mOfyB4zNfH3fEJscnv0kwHwYDVR0j
BBgwFoAUB7hvEz2mOfyB4zNfH3fEJscnv0kwDwYDVR0TAQH/BAUwAwEB/zAKBggq
hkjOPQQDAgNIADBFAiBP/mt0foP1aaXKbszE55AZrqYH23mGCV0uU1F6ztd1QgIh
AKOpa3kdyNsAXGkI+nKc5p8p2AMsn4yEqn7Ioz7snlLD
-----END CERTIFICATE-----`;
const SUB_PEM = `-----BEGIN CERTIFICATE-----
MIIBmjCCAT+gAwIBAgIUM8mGZY4vygPjN7tWF/v3bom6No0wCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWY2hhcmdlbWVzaCB0ZXN0IHN1Yi1DQTAgFw0yNjEyMDIwNjM4
MTlaGA8yMTI2MTEwODA2MzgxOVowITEfMB0GA1UEAwwWY2hhcmdlbWVzaCB0ZXN0
IHN1Yi1DQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABP9UVWSs6EF9esV0CsLx
IXO0q9lxihKAVchd3iGgcd1L9Fwi480I139K83yy5kVH7r/3A0rbomUEoakGZV4p
KwKjUzBRMB0GA1UdDgQWBBQZ+rZqWi0GQTaRuw/1jmK0rzZvIzAfBgNVHSMEGDAW
gBQZ+rZqWi0GQTaRuw/1jmK0rzZvIzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49
BAMCA0kAMEYCIQDOAZvhA1sTXkyQVlKM0iRnaLTQIw+ZCxBsYqjwMxY6fgIhAM0a
Ug74blnbDrh2f6tu8pu3k/3Yv0chWORnhFuyQcgI
-----END CERTIFICATE-----`;
const CHAIN = pemChain(LEAF_PEM + "\n" + SUB_PEM);

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1, 8);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), "cm-ocpp-store-"));
  dirs.push(d);
  return d;
}

const ev = (seqNo: number, eventType: "Started" | "Updated" | "Ended", atMs = NOW + seqNo * 60_000) => ({
  eventType,
  seqNo,
  timestamp: new Date(atMs).toISOString(),
  offline: false,
  triggerReason: "MeterValuePeriodic",
});
const DECISION: AuthorizationDecision = {
  accepted: true,
  reason: "Accepted",
  contractId: contractId("DE-CMS-C00000001-1"),
  caps: { maxEnergyWh: 50_000 },
  mode: "online",
  proofOfPossession: "charger-secc",
};
const token = { idToken: "DE-CMS-C00000001-1", type: "eMAID" };

/** Opens the transaction log on `dir` (a fresh database connection, as after a restart). */
function openLog(dir: string, clock: VirtualClock, perStation = 1_000, retentionMs?: number) {
  const db = openOcppSiteDatabase(dir);
  const log = new OcppTransactionLog(perStation, 5_000, {
    store: new SqliteOcppTransactionStore(db),
    clock,
    ...(retentionMs !== undefined ? { endedRetentionMs: retentionMs } : {}),
  });
  return { db, log };
}

test("the transaction log reopens with the same transactions, events, session and decision", () => {
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const { db, log } = openLog(dir, clock);
  log.record("CP-1", "tx-1", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 100 });
  log.record("CP-1", "tx-1", ev(1, "Updated"), { evseId: 1, idToken: token, registerWh: 900 });
  expect(log.bindSession("CP-1", "tx-1", "session-1", DECISION)).toBe(true);
  log.record("CP-1", "tx-2", ev(0, "Started"), { evseId: 2, idToken: null, registerWh: 5 });
  log.record("CP-1", "tx-2", ev(1, "Ended"), { evseId: 2, idToken: null, registerWh: 50 });
  const before = [log.get("CP-1", "tx-1"), log.get("CP-1", "tx-2")];
  db.close();

  const again = openLog(dir, clock);
  expect(again.log.damaged).toEqual([]);
  expect([again.log.get("CP-1", "tx-1"), again.log.get("CP-1", "tx-2")]).toEqual(before);
  expect(again.log.get("CP-1", "tx-1")).toMatchObject({
    events: 2,
    ended: false,
    highestRegisterWh: 900,
    lowestRegisterWh: 100,
    idToken: token,
    sessionId: "session-1",
    decision: DECISION,
  });
  expect(again.log.runningFor("CP-1", 1, "session-1")?.transactionId).toBe("tx-1");
  expect(again.log.open("CP-1").map((t) => t.transactionId)).toEqual(["tx-1"]);
  // Idempotence holds across the restart: a replayed event is still a duplicate.
  expect(
    again.log.record("CP-1", "tx-1", ev(1, "Updated"), { evseId: 1, idToken: null, registerWh: 900 }),
  ).toBe("duplicate");
  again.db.close();
});

test("a session the site ended stays noted on its open transaction across a reopen; rows without the note load as not over", () => {
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const { db, log } = openLog(dir, clock);
  log.record("CP-1", "tx-1", ev(0, "Started"), { evseId: 1, idToken: token, registerWh: 100 });
  log.record("CP-1", "tx-2", ev(0, "Started"), { evseId: 2, idToken: token, registerWh: 100 });
  log.bindSession("CP-1", "tx-1", "session-1", DECISION);
  log.bindSession("CP-1", "tx-2", "session-2", DECISION);
  expect(log.sessionEnded("CP-1", "session-1")).toEqual(["tx-1"]);
  expect(log.sessionEnded("CP-1", "session-1")).toEqual([]); // noted once
  db.prepare(
    "UPDATE ocpp_transactions SET facts = json_remove(facts, '$.sessionOver') WHERE transaction_id = 'tx-2'",
  ).run();
  db.close();
  const again = openLog(dir, clock);
  expect(again.log.damaged).toEqual([]);
  expect(again.log.get("CP-1", "tx-1")).toMatchObject({ ended: false, sessionOver: true });
  expect(again.log.runningFor("CP-1", 1, "session-1")).toBeNull(); // never resumed
  expect(again.log.get("CP-1", "tx-2")).toMatchObject({ sessionOver: false });
  expect(again.log.runningFor("CP-1", 2, "session-2")?.transactionId).toBe("tx-2");
  again.db.close();
});

test("the transaction log holds at most its limit per station and prunes ended transactions after the retention", () => {
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const { db, log } = openLog(dir, clock, 3, 2 * DAY);
  for (let i = 0; i < 5; i++) {
    log.record("CP-A", `a${i}`, ev(0, "Started"), { evseId: 1, idToken: null, registerWh: i });
    log.record("CP-A", `a${i}`, ev(1, "Ended"), { evseId: 1, idToken: null, registerWh: i + 1 });
  }
  log.record("CP-B", "b0", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 0 });
  const rows = (station: string) =>
    (
      db.prepare("SELECT COUNT(*) AS n FROM ocpp_transactions WHERE station_id = ?").get(station) as {
        n: number;
      }
    ).n;
  expect(log.countOf("CP-A")).toBe(3);
  expect(rows("CP-A")).toBe(3);
  expect(rows("CP-B")).toBe(1); // another station's transactions are not evicted by CP-A's
  expect(log.get("CP-A", "a0")).toBeNull(); // the least recently touched ended ones went first
  expect(log.get("CP-A", "a4")).not.toBeNull();
  const eventRows = db
    .prepare("SELECT COUNT(*) AS n FROM ocpp_transaction_events WHERE station_id = 'CP-A'")
    .get() as {
    n: number;
  };
  expect(eventRows.n).toBe(6); // the evicted transactions' events went with them

  clock.advance(3 * DAY);
  db.close();
  const again = openLog(dir, clock, 3, 2 * DAY);
  expect(again.log.countOf("CP-A")).toBe(0); // ended more than 2 days ago
  expect(again.log.countOf("CP-B")).toBe(1); // still running: never pruned by age
  expect((again.db.prepare("SELECT COUNT(*) AS n FROM ocpp_transactions").get() as { n: number }).n).toBe(1);
  again.db.close();
});

test("a corrupted transaction row is reported with table, key and reason; the rest loads", () => {
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const { db, log } = openLog(dir, clock);
  log.record("CP-1", "good", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 1 });
  log.record("CP-1", "torn", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 1 });
  log.record("CP-1", "odd", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 1 });
  log.record("CP-1", "good", ev(1, "Updated"), { evseId: 1, idToken: null, registerWh: 2 });
  db.prepare("UPDATE ocpp_transactions SET facts = '{\"evseId\": 1, ' WHERE transaction_id = 'torn'").run();
  db.prepare(
    "UPDATE ocpp_transactions SET facts = '{\"evseId\": \"one\"}' WHERE transaction_id = 'odd'",
  ).run();
  db.prepare(
    "UPDATE ocpp_transaction_events SET event = 'garbage' WHERE transaction_id = 'good' AND seq_no = 1",
  ).run();
  db.close();

  const again = openLog(dir, clock);
  expect(again.log.damaged).toEqual([
    expect.objectContaining({ table: "ocpp_transaction_events", key: "CP-1/good/1", code: "malformed_json" }),
    expect.objectContaining({ table: "ocpp_transactions", key: "CP-1/torn", code: "malformed_json" }),
    expect.objectContaining({ table: "ocpp_transactions", key: "CP-1/odd", code: "invalid_input" }),
  ]);
  expect(again.log.damaged[2]!.message).toMatch(/ocpp_transactions CP-1\/odd: .*evseId/);
  expect(again.log.get("CP-1", "good")).toMatchObject({ events: 1 });
  expect(again.log.get("CP-1", "torn")).toBeNull();
  again.db.close();
});

test("the contract-chain cache reopens with its ages: a chain past the maximum age no longer authorizes", () => {
  expect(CHAIN).toHaveLength(2);
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const open = () => {
    const db = openOcppSiteDatabase(dir);
    return {
      db,
      chains: new ContractChains(2, { store: new SqliteContractChainStore(db), clock, maxAgeMs: 7 * DAY }),
    };
  };
  const first = open();
  first.chains.remember("EMAID-1", CHAIN);
  clock.advance(DAY);
  first.chains.remember("EMAID-2", [CHAIN[0]!]);
  first.chains.remember("EMAID-3", [CHAIN[1]!]); // past the bound of 2: EMAID-1 goes
  first.db.close();

  clock.advance(5 * DAY + 1); // EMAID-2 and -3 were presented 5 days ago, beyond a restart
  const second = open();
  expect(second.chains.damaged).toEqual([]);
  expect(second.chains.size).toBe(2);
  expect(second.chains.chainOf("EMAID-1")).toBeNull();
  expect(second.chains.chainOf("EMAID-2")).toEqual([CHAIN[0]]);
  expect(second.chains.presentedAtMs("EMAID-2")).toBe(NOW + DAY);
  clock.advance(2 * DAY); // 7 days and 1 ms after it was presented
  expect(second.chains.chainOf("EMAID-2")).toBeNull();
  // An old chain still maps its revoked certificate to the contract (the local list keeps blocking it).
  expect(second.chains.contractsOf([certificateFingerprint(CHAIN[0]!)])).toEqual(["EMAID-2"]);
  second.db.close();
});

test("a corrupted contract-chain row is reported, not loaded", () => {
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const db = openOcppSiteDatabase(dir);
  const chains = new ContractChains(10, { store: new SqliteContractChainStore(db), clock });
  chains.remember("EMAID-1", CHAIN);
  chains.remember("EMAID-2", CHAIN);
  db.prepare("UPDATE ocpp_contract_chains SET chain = '[\"AAAA\"]' WHERE emaid = 'EMAID-2'").run();
  db.close();
  const db2 = openOcppSiteDatabase(dir);
  const again = new ContractChains(10, { store: new SqliteContractChainStore(db2), clock });
  expect(again.damaged).toEqual([
    expect.objectContaining({ table: "ocpp_contract_chains", key: "EMAID-2", code: "invalid_input" }),
  ]);
  expect(again.damaged[0]!.message).toMatch(/does not parse as X\.509/);
  expect(again.chainOf("EMAID-1")).toEqual(CHAIN);
  expect(again.chainOf("EMAID-2")).toBeNull();
  db2.close();
});

test("local-list versions reopen with version and content; a damaged row and a list past the bound are forgotten", () => {
  const dir = dataDir();
  const db = openOcppSiteDatabase(dir);
  const versions = new SqliteLocalListVersions(db, 2, 3);
  const list = localListFrom({ "E-1": "good", "E-2": "blocked" }, ["E-3"]);
  versions.set("CP-1", { version: 7, list });
  versions.set("CP-2", { version: 2, list: new Map() });
  versions.set("CP-3", { version: 1, list: new Map() }); // a third station past the bound of 2
  versions.set("CP-2", {
    version: 3,
    list: localListFrom({ a: "good", b: "good", c: "good", d: "good" }, []), // 4 entries, bound 3
  });
  db.close();

  const db2 = openOcppSiteDatabase(dir);
  const again = new SqliteLocalListVersions(db2, 2, 3);
  expect(again.damaged).toEqual([]);
  expect(again.get("CP-1")).toEqual({ version: 7, list });
  expect(again.get("CP-2")).toBeNull(); // next update Full
  expect(again.get("CP-3")).toBeNull();
  db2.prepare("UPDATE ocpp_local_lists SET list = '[[\"E-1\", \"Maybe\"]]' WHERE station_id = 'CP-1'").run();
  db2.close();
  const db3 = openOcppSiteDatabase(dir);
  const third = new SqliteLocalListVersions(db3);
  expect(third.damaged).toEqual([
    expect.objectContaining({ table: "ocpp_local_lists", key: "CP-1", code: "invalid_input" }),
  ]);
  expect(third.get("CP-1")).toBeNull();
  db3.close();
});

test("an OCPP site starts on a database with damaged rows: it reports them and runs", async () => {
  const dir = dataDir();
  const clock = new VirtualClock(NOW);
  const db = openOcppSiteDatabase(dir);
  const log = new OcppTransactionLog(10, 10, { store: new SqliteOcppTransactionStore(db), clock });
  log.record("CP-1", "tx-1", ev(0, "Started"), { evseId: 1, idToken: null, registerWh: 1 });
  db.prepare("UPDATE ocpp_transactions SET facts = 'x'").run();
  db.close();
  const warnings: object[] = [];
  const site = await OcppSite.start({
    host: "127.0.0.1",
    port: 0,
    securityProfile: 1,
    heartbeatIntervalS: 300,
    stations: [],
    stalls: [],
    localList: { standing: () => ({}), revokedFingerprints: () => [] },
    clock,
    log: { info: () => {}, warn: (o) => void warnings.push(o) },
    dataDir: dir,
  });
  try {
    expect(site.storeDamage).toEqual([
      expect.objectContaining({ table: "ocpp_transactions", key: "CP-1/tx-1", code: "malformed_json" }),
    ]);
    expect(warnings).toContainEqual(
      expect.objectContaining({ table: "ocpp_transactions", key: "CP-1/tx-1" }),
    );
  } finally {
    await site.close();
  }
});
