/**
 * bench:billing: sessions rated, invoiced, posted and paid per second by the billing reconciler on
 * SQLite and on PostgreSQL, each against plain inserts of the same rows (same tables, no constraints
 * or triggers) into the same database in the same run. Sessions come from real signed meter chains
 * (signed before timing starts); payments go to the in-process provider simulator.
 * BENCH_BILLING_SESSIONS (default 400) sets the number of sessions.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import {
  SeededRandom,
  VirtualClock,
  contractId,
  encodeRecordBody,
  encodeSignedRecord,
  issueMeterCertificate,
  meterId,
  recordHash,
  sessionId,
  stallId,
} from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import {
  BillingReconciler,
  FlatTariffRater,
  InMemoryAccountDirectory,
  InMemoryNotificationSink,
  InMemoryStandingSink,
  PaymentSimulator,
  SignedRecordSessionSource,
  SimulatedPaymentProvider,
  accountId,
  currencyCode,
  openPostgresFinancialLedger,
  openSqliteFinancialLedger,
  tierHoldPolicy,
} from "@chargemesh/cloud-peer";
import type { BillableSession, FinancialLedger, JournalFacts } from "@chargemesh/cloud-peer";
import { serviceAnswers } from "../testing/requireService.js";

const SESSIONS = Number(process.env.BENCH_BILLING_SESSIONS ?? 400);
const TABLES = [
  "fin_entries",
  "fin_transactions",
  "invoices",
  "invoice_bases",
  "invoice_lines",
  "payments",
  "payment_attempts",
];

/** Verified sessions of one meter chain, signed for real, collected before timing. */
async function verifiedSessions(n: number): Promise<BillableSession[]> {
  const opSeed = new Uint8Array(randomBytes(32));
  const seed = new Uint8Array(randomBytes(32));
  const meter = meterId("bench-meter");
  const stall = stallId("bench-stall");
  const cert = issueMeterCertificate(
    {
      version: 1,
      meterId: meter,
      publicKey: nodeEd25519.publicKey(seed),
      keyEpoch: 0,
      signingLocation: "site-secure-element",
      issuedAtMs: 0,
      operatorKeyId: "op",
      payloadPublicKey: null,
    },
    opSeed,
    nodeEd25519,
  ).shipped;
  const records: Uint8Array[] = [];
  let prev: Uint8Array = new Uint8Array(32);
  let wh = 0;
  let t = Date.UTC(2026, 5, 1);
  const add = (kind: "boot" | "begin" | "end", s: ReturnType<typeof sessionId> | null) => {
    const bodyBytes = encodeRecordBody({
      version: 1,
      meterId: meter,
      seq: records.length,
      prevHash: prev,
      meterTimeMs: t,
      registerWh: wh,
      stallId: stall,
      sessionId: s,
      kind,
      status: 0,
      meterPayload: null,
    });
    const shipped = encodeSignedRecord({ bodyBytes, signature: nodeEd25519.sign(bodyBytes, seed) });
    prev = recordHash(shipped);
    records.push(shipped);
  };
  add("boot", null);
  const journal: JournalFacts[] = [];
  for (let i = 0; i < n; i++) {
    const sid = sessionId(`bench-site:B${String(i).padStart(6, "0")}AAAAAAAAA`);
    journal.push({ sessionId: sid, contractId: "DE-ABC-C00000001-1", startedAtMs: t });
    add("begin", sid);
    t += 1_800_000;
    wh += 5_000 + ((i * 7919) % 40_000);
    add("end", sid);
    t += 60_000;
  }
  const source = new SignedRecordSessionSource(
    () => [{ siteId: "bench-site", certificates: [cert], records, journal }],
    new Map([["op", nodeEd25519.publicKey(opSeed)]]),
    nodeEd25519,
  );
  const out: BillableSession[] = [];
  for await (const s of source.sessions()) out.push(s);
  return out;
}

async function billOnce(ledger: FinancialLedger, sessions: BillableSession[]): Promise<number> {
  const clock = new VirtualClock(Date.UTC(2026, 5, 2));
  const sim = new PaymentSimulator(clock, new SeededRandom(3));
  sim.addCard("pm_bench", "visa");
  const accounts = new InMemoryAccountDirectory();
  accounts.set(contractId("DE-ABC-C00000001-1"), {
    accountId: accountId("acct-bench"),
    tier: "standard",
    currency: currencyCode("EUR"),
    paymentMethod: "pm_bench",
    customer: null,
    network: "visa",
  });
  const reconciler = new BillingReconciler({
    ledger,
    provider: new SimulatedPaymentProvider(sim),
    source: { sessions: () => sessions },
    accounts,
    rater: new FlatTariffRater(
      [{ id: "t", energyMinorPerKWh: 40, sessionFeeMinor: 50, currency: "EUR", validFromMs: 0 }],
      1900,
    ),
    holdPolicy: tierHoldPolicy({ standard: 0n, member: 0n, fleet: 0n }),
    standingSink: new InMemoryStandingSink(),
    notificationSink: new InMemoryNotificationSink(),
    clock,
  });
  const start = process.hrtime.bigint();
  await reconciler.runUntilQuiet();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Inserts every row billing wrote, again, into constraint-free copies of its tables: one transaction per session's share. */
async function plainInserts(
  ledger: FinancialLedger,
  sessions: number,
): Promise<{ seconds: number; rows: number }> {
  const rows: { table: string; cols: string[]; values: unknown[] }[] = [];
  for (const t of TABLES) {
    for (const r of await ledger.sql.query(`SELECT * FROM ${t}`))
      rows.push({ table: t, cols: Object.keys(r), values: Object.values(r) });
    if (ledger.dialect === "postgres") await ledger.sql.execute(`CREATE TABLE plain_${t} (LIKE ${t})`);
    else await ledger.sql.execute(`CREATE TABLE plain_${t} AS SELECT * FROM ${t} WHERE 0`);
  }
  const perTx = Math.ceil(rows.length / sessions);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += perTx) {
    await ledger.sql.transaction(async (db) => {
      for (const r of rows.slice(i, i + perTx)) {
        await db.execute(
          `INSERT INTO plain_${r.table} (${r.cols.join(", ")}) VALUES (${r.cols.map(() => "?").join(", ")})`,
          r.values as never,
        );
      }
    });
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, rows: rows.length };
}

async function measure(
  name: string,
  ledger: FinancialLedger,
  sessions: BillableSession[],
): Promise<Record<string, unknown>> {
  const billSeconds = await billOnce(ledger, sessions);
  const plain = await plainInserts(ledger, sessions.length);
  const billed = sessions.length / billSeconds;
  const baseline = sessions.length / plain.seconds;
  const line = {
    database: name,
    sessions: sessions.length,
    rowsPerSession: +(plain.rows / sessions.length).toFixed(1),
    billedPerSecond: Math.round(billed),
    plainInsertSessionsPerSecond: Math.round(baseline),
    ratio: +(billed / baseline).toFixed(3),
  };
  console.log(
    `${name}: ${line.billedPerSecond} sessions/s billed (rated, invoiced, posted, charged) vs ${line.plainInsertSessionsPerSecond} sessions/s of plain inserts of the same ${line.rowsPerSession} rows each: ratio ${line.ratio}`,
  );
  return line;
}

const sessions = await verifiedSessions(SESSIONS);
const results: Record<string, unknown>[] = [];
const dir = mkdtempSync(join(tmpdir(), "bench-billing-"));
try {
  const lite = openSqliteFinancialLedger(join(dir, "ledger.db"));
  results.push(await measure("SQLite (file, WAL)", lite, sessions));
  await lite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (await serviceAnswers("127.0.0.1", 5432)) {
  const name = `bench_billing_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const ledger = await openPostgresFinancialLedger(`postgres://postgres@127.0.0.1:5432/${name}`);
    results.push(await measure("PostgreSQL 127.0.0.1", ledger, sessions));
    await ledger.close();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
} else console.log("PostgreSQL not reachable on 127.0.0.1:5432: its part skipped");
if (process.argv.includes("--json")) console.log(JSON.stringify(results));
