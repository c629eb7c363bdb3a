import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AuditBundle } from "@chargemesh/shared-model";
import { ROOT, audit, bodyOf, readBundle, writeBundle } from "./bundleForgery.js";

/**
 * A real site's export: a simulated site runs on the site controller (idle records on its clock),
 * `site-export` reads its store, the auditor verifies it under the simulated operator's anchors,
 * which carry the site's record-gap policy. Cutting records out of it is a named finding.
 */
const dir = mkdtempSync(join(tmpdir(), "cm-sim-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tsx = (script: string, args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", `${ROOT}${script}`, ...args], {
    encoding: "utf8",
    cwd: ROOT,
    timeout: 300_000,
  });

let exported: string;
let anchors: string;
let genuine: AuditBundle;
/** The simulated site's last moment: the end of the audited period (its clock is not the wall clock). */
let untilMs: number;

beforeAll(() => {
  const data = join(dir, "site");
  const simBundle = join(dir, "sim.cbor");
  const sim = tsx("simulation/src/cli/simSite.ts", [
    "--stalls",
    "2",
    "--vehicles",
    "6",
    "--offline",
    "--data",
    data,
    "--out",
    simBundle,
    "--json",
  ]);
  if (sim.status !== 0) throw new Error(`sim:site failed (${sim.status}): ${sim.stderr}${sim.stdout}`);
  anchors = `${simBundle}.anchors.json`;
  untilMs = readBundle(simBundle).createdAtMs;
  exported = join(dir, "export.cbor");
  const ex = tsx("edge-node/src/cli/siteExport.ts", [
    "--store",
    join(data, "store"),
    "--site",
    "sim-site",
    "--out",
    exported,
    "--json",
  ]);
  if (ex.status !== 0) throw new Error(`site-export failed (${ex.status}): ${ex.stderr}${ex.stdout}`);
  expect(JSON.parse(ex.stdout).maxRecordGapMs).toBe(20 * 60_000);
  genuine = readBundle(exported);
}, 360_000);

interface Report {
  verdict: string;
  checks: { timeCoverage: boolean; heads: boolean };
  findingCounts: Record<string, number>;
  findings: { code: string; meterId?: string; seq?: number; toSeq?: number }[];
}
const verify = (bundle: string, trust: string) => {
  const r = audit(["verify", bundle, "--trust", trust, "--until", String(untilMs), "--json"]);
  return { status: r.status, report: JSON.parse(r.stdout) as Report };
};
let n = 0;
const file = (b: AuditBundle) => writeBundle(join(dir, `cut${n++}.cbor`), b);
/** The anchors without the heads: only the idle records' time coverage can show a cut tail. */
function anchorsWithoutHeads(): string {
  const a = JSON.parse(readFileSync(anchors, "utf8")) as Record<string, unknown>;
  delete a["heads"];
  const out = join(dir, "anchors-no-heads.json");
  writeFileSync(out, JSON.stringify(a));
  return out;
}

describe("a simulated site's export under the operator's anchors", () => {
  test("verifies with --trust (exit 0), time coverage checked by the site's record-gap policy", () => {
    expect(JSON.parse(readFileSync(anchors, "utf8")).maxRecordGapMs).toBe(20 * 60_000);
    const idle = genuine.records.map(bodyOf).filter((b) => b.sessionId === null && b.kind === "checkpoint");
    expect(idle.length).toBeGreaterThan(40); // 2 meters x ~11 h, one idle record per 15 idle minutes
    const { status, report } = verify(exported, anchors);
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe("verified");
    expect(report.checks.timeCoverage).toBe(true);
    expect(status).toBe(0);
  });

  test("one session's records cut out, with its claim: sequence_gap and total_mismatch (exit 1)", () => {
    const victim = genuine.sessions[1]!;
    const cut = file({
      ...genuine,
      records: genuine.records.filter((r) => bodyOf(r).sessionId !== victim.sessionId),
      sessions: genuine.sessions.filter((s) => s.sessionId !== victim.sessionId),
    });
    const { status, report } = verify(cut, anchors);
    expect(status).toBe(1);
    expect(report.findingCounts["sequence_gap"]).toBe(1);
    expect(report.findings.find((f) => f.code === "sequence_gap")!.meterId).toBe(victim.meterId);
    expect(report.findingCounts["total_mismatch"]).toBe(1);
  });

  test("a stretch of hours cut from the middle of a meter's chain: sequence_gap and time_gap", () => {
    const m = genuine.records.map(bodyOf).filter((b) => b.meterId === "meter-1");
    const from = m[0]!.meterTimeMs + 2 * 3_600_000;
    const to = from + 3 * 3_600_000;
    const drop = (b: { meterId: string; meterTimeMs: number }) =>
      b.meterId === "meter-1" && b.meterTimeMs >= from && b.meterTimeMs < to;
    const dropped = new Set<string | null>(m.filter(drop).map((b) => b.sessionId));
    const cut = file({
      ...genuine,
      records: genuine.records.filter((r) => !drop(bodyOf(r))),
      sessions: genuine.sessions.filter((s) => !dropped.has(s.sessionId)),
    });
    const { status, report } = verify(cut, anchorsWithoutHeads());
    expect(status).toBe(1);
    expect(report.findingCounts["sequence_gap"]).toBe(1);
    expect(report.findingCounts["time_gap"]).toBe(1);
  });

  test("the last hours of a meter cut (records and claims), anchors without heads: chain_tail_missing from the idle records", () => {
    const m = genuine.records.map(bodyOf).filter((b) => b.meterId === "meter-2");
    const from = m.at(-1)!.meterTimeMs - 2 * 3_600_000;
    const drop = (b: { meterId: string; meterTimeMs: number }) =>
      b.meterId === "meter-2" && b.meterTimeMs >= from;
    const dropped = new Set<string | null>(m.filter(drop).map((b) => b.sessionId));
    const cut = file({
      ...genuine,
      records: genuine.records.filter((r) => !drop(bodyOf(r))),
      sessions: genuine.sessions.filter((s) => !dropped.has(s.sessionId)),
    });
    const { status, report } = verify(cut, anchorsWithoutHeads());
    expect(status).toBe(1);
    expect(report.checks.heads).toBe(false);
    expect(report.findingCounts["chain_tail_missing"]).toBe(1);
    expect(report.findings.find((f) => f.code === "chain_tail_missing")!.meterId).toBe("meter-2");
    // With the operator's heads the same cut is also a missing head.
    expect(verify(cut, anchors).report.findingCounts["chain_head_missing"]).toBe(1);
  });
});
