import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ROOT, audit, readBundle, writeBundle } from "./bundleForgery.js";

/**
 * `verify --tariffs --invoices`: a simulated site's bundle billed the cloud's way (the reconciler with
 * OcpiSessionRater on a SQLite financial ledger, exported with `npm run invoice-export`), then
 * recomputed by the auditor from the signed records with the same rating function.
 */
const dir = mkdtempSync(join(tmpdir(), "cm-invoices-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TARIFF = `${ROOT}network/demo-tariff.json`;
const ZONE = "Europe/Berlin";

const tsx = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", `${ROOT}${script}`, ...args], {
    encoding: "utf8",
    cwd: ROOT,
    timeout: 300_000,
  });

let bundle: string;
let anchors: string;
let invoices: string;
interface InvoiceFile {
  invoices: { sessionId: string; totalMinor: string; lines: { exclVatMinor: string; vatMinor: string }[] }[];
}
let billed: InvoiceFile;

beforeAll(() => {
  bundle = join(dir, "site.cbor");
  const sim = tsx("simulation/src/cli/simSite.ts", [
    "--stalls",
    "2",
    "--vehicles",
    "6",
    "--offline",
    "--data",
    join(dir, "site"),
    "--out",
    bundle,
    "--json",
  ]);
  if (sim.status !== 0) throw new Error(`sim:site failed (${sim.status}): ${sim.stderr}`);
  anchors = `${bundle}.anchors.json`;
  invoices = join(dir, "invoices.json");
  const db = join(dir, "ledger.sqlite");
  const bill = tsx("cloud-peer/test/billing/billBundleForAudit.ts", [bundle, anchors, TARIFF, ZONE, db]);
  if (bill.status !== 0) throw new Error(`billing failed (${bill.status}): ${bill.stderr}`);
  const exported = tsx("scripts/exportInvoices.ts", ["--db", db, "--out", invoices]);
  if (exported.status !== 0)
    throw new Error(`invoice-export failed (${exported.status}): ${exported.stderr}`);
  billed = JSON.parse(readFileSync(invoices, "utf8")) as InvoiceFile;
}, 360_000);

interface Report {
  exitCode: number;
  verdict: string;
  findingCounts: Record<string, number>;
  findings: { code: string; sessionId?: string; field?: string }[];
  invoices: {
    invoicesGiven: number | null;
    recomputed: { sessionId: string; totalMinor: string | null; invoiced: string }[];
  };
}
const verify = (extra: string[]) => {
  const r = audit([
    "verify",
    bundle,
    "--trust",
    anchors,
    "--tariffs",
    TARIFF,
    "--time-zone",
    ZONE,
    ...extra,
    "--json",
  ]);
  return { status: r.status, stderr: r.stderr, report: r.stdout ? (JSON.parse(r.stdout) as Report) : null };
};
let n = 0;
function edited(edit: (f: InvoiceFile) => void): string {
  const f = JSON.parse(readFileSync(invoices, "utf8")) as InvoiceFile;
  edit(f);
  const out = join(dir, `edited-${n++}.json`);
  writeFileSync(out, JSON.stringify({ ...f }));
  return out;
}

describe("chargemesh-audit verify --tariffs: invoices recomputed from the signed records", () => {
  test("a genuine bundle's recomputation equals every billed invoice bit for bit (exit 0)", () => {
    const sessions = readBundle(bundle).sessions.filter((s) => s.state === "completed");
    expect(billed.invoices.length).toBe(sessions.length);
    expect(billed.invoices.length).toBeGreaterThan(3);
    const { status, report } = verify(["--invoices", invoices]);
    expect(report!.findings).toEqual([]);
    expect(report!.verdict).toBe("verified");
    expect(status).toBe(0);
    expect(report!.invoices.invoicesGiven).toBe(billed.invoices.length);
    expect(report!.invoices.recomputed.map((r) => r.invoiced)).toEqual(billed.invoices.map(() => "equal"));
    const billedTotal = new Map(billed.invoices.map((i) => [i.sessionId, i.totalMinor]));
    for (const r of report!.invoices.recomputed) expect(r.totalMinor).toBe(billedTotal.get(r.sessionId));
    // Without --invoices the figures are recomputed and nothing is compared.
    const alone = verify([]);
    expect(alone.status).toBe(0);
    expect(alone.report!.invoices.recomputed.every((r) => r.invoiced === "not_compared")).toBe(true);
  });

  test("an edited invoice amount is invoice_mismatch (exit 1), even when its lines still add up", () => {
    const victim = billed.invoices[2]!.sessionId;
    const file = edited((f) => {
      const inv = f.invoices.find((i) => i.sessionId === victim)!;
      inv.lines[0]!.exclVatMinor = String(BigInt(inv.lines[0]!.exclVatMinor) + 100n);
      inv.totalMinor = String(BigInt(inv.totalMinor) + 100n);
    });
    const { status, report } = verify(["--invoices", file]);
    expect(status).toBe(1);
    expect(report!.exitCode).toBe(1);
    expect(report!.verdict).toBe("failed");
    expect(report!.findingCounts).toEqual({ invoice_mismatch: 1 });
    const f = report!.findings[0]!;
    expect(f.sessionId).toBe(victim);
    expect(f.field).toBe("lines,totalMinor");
  });

  test("an invoice of a session the records do not hold, and a session left unbilled, are named", () => {
    const file = edited((f) => {
      f.invoices[0]!.sessionId = "sim-site:01ZZZZZZZZZZZZZZZZZZZZZZZZ";
    });
    const { status, report } = verify(["--invoices", file]);
    expect(status).toBe(1);
    expect(report!.findingCounts).toEqual({ invoice_without_session: 1, session_not_invoiced: 1 });
  });

  test("a claim's contract is unsigned: edited, the bundle alone still verifies; the cloud's invoices expose it", () => {
    const genuine = readBundle(bundle);
    const victim = billed.invoices[1]!.sessionId;
    const relabelled = writeBundle(join(dir, "relabelled.cbor"), {
      ...genuine,
      sessions: genuine.sessions.map((c) =>
        c.sessionId === victim ? { ...c, contractId: "DE-XXX-C99999999-9" as typeof c.contractId } : c,
      ),
    });
    const alone = audit(["verify", relabelled, "--trust", anchors]);
    expect(alone.status).toBe(0);
    const r = audit([
      "verify",
      relabelled,
      "--trust",
      anchors,
      "--tariffs",
      TARIFF,
      "--time-zone",
      ZONE,
      "--invoices",
      invoices,
      "--json",
    ]);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.findingCounts).toEqual({ invoice_mismatch: 1 });
    expect(report.findings[0]).toMatchObject({ sessionId: victim, field: "contractId" });
  });

  test("another tariff than the billed one makes every invoice differ", () => {
    const tariff = JSON.parse(readFileSync(TARIFF, "utf8")) as {
      elements: { price_components: { type: string; price: number }[] }[];
    };
    tariff.elements[1]!.price_components[0]!.price = 0.49;
    const other = join(dir, "other-tariff.json");
    writeFileSync(other, JSON.stringify(tariff));
    const r = audit([
      "verify",
      bundle,
      "--trust",
      anchors,
      "--tariffs",
      other,
      "--time-zone",
      ZONE,
      "--invoices",
      invoices,
      "--json",
    ]);
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as Report).findingCounts["invoice_mismatch"]).toBeGreaterThan(0);
  });

  test("usage and unreadable inputs have their exit codes", () => {
    expect(audit(["verify", bundle, "--trust", anchors, "--tariffs", TARIFF]).status).toBe(2);
    expect(audit(["verify", bundle, "--trust", anchors, "--invoices", invoices]).status).toBe(2);
    expect(
      audit(["verify", bundle, "--trust", anchors, "--tariffs", TARIFF, "--time-zone", "Mars/Base"]).status,
    ).toBe(2);
    expect(verify(["--invoices", join(dir, "absent.json")]).status).toBe(3);
    const bad = join(dir, "bad-invoices.json");
    writeFileSync(
      bad,
      JSON.stringify({ format: "chargemesh-invoices", version: 1, invoices: [{ sessionId: 1 }] }),
    );
    expect(verify(["--invoices", bad]).status).toBe(3);
    const badTariff = join(dir, "bad-tariff.json");
    writeFileSync(badTariff, "{}");
    expect(
      audit(["verify", bundle, "--trust", anchors, "--tariffs", badTariff, "--time-zone", ZONE]).status,
    ).toBe(3);
  });
});
