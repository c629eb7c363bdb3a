import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeAuditBundle } from "@chargemesh/shared-model";
import type { AuditBundle } from "@chargemesh/shared-model";
import { decodeSignedRecord, encodeRecordBody, encodeSignedRecord } from "@chargemesh/shared-model";
import type { MeterRecordBody } from "@chargemesh/shared-model";
import { main } from "../../src/cli/chargemeshAudit.js";
import { buildAuditBundle } from "../../src/audit/exportBundle.js";
import { generateDemoLedger } from "../../src/audit/demoLedger.js";
import type { DemoLedger } from "../../src/audit/demoLedger.js";
import { nodeEd25519 } from "../../src/crypto/nodeEd25519.js";

const dir = mkdtempSync(join(tmpdir(), "cm-audit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let demo: DemoLedger;
let clean: AuditBundle;
beforeAll(async () => {
  demo = await generateDemoLedger({ meters: 2, sessions: 6, checkpointsPerSession: 4, seed: 42 }, nodeEd25519);
  clean = buildAuditBundle(demo, 0);
});

async function verifyJson(bundle: AuditBundle) {
  const file = join(dir, `b-${Math.random().toString(36).slice(2)}.cbor`);
  writeFileSync(file, encodeAuditBundle(bundle));
  let out = "";
  const code = await main(["verify", file, "--json"], { out: (s) => (out += s), err: () => {} });
  return { code, report: JSON.parse(out) as { ok: boolean; findings: { code: string; index?: number; seq?: number; meterId?: string }[]; sessionsWh: number } };
}

const body = (shipped: Uint8Array) => {
  const r = decodeSignedRecord(shipped);
  if (!r.ok) throw r.error;
  return r.value.body;
};
/** Re-signs a body with the meter's own key: what a compromised site controller could do. */
const forge = (b: MeterRecordBody, seed: Uint8Array) => {
  const bodyBytes = encodeRecordBody(b);
  return encodeSignedRecord({ bodyBytes, signature: nodeEd25519.sign(bodyBytes, seed) });
};
const indexOf = (records: readonly Uint8Array[], meter: string, seq: number) => records.findIndex((r) => body(r).meterId === meter && body(r).seq === seq);

describe("chargemesh-audit verify", () => {
  test("the real CLI exports a demo bundle and verifies it: exit 0", () => {
    const file = join(dir, "demo.cbor");
    const run = (args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "edge-node/src/cli/chargemeshAudit.ts", ...args], { encoding: "utf8" });
    const exp = run(["export", "--demo", "--out", file, "--sessions", "5", "--json"]);
    expect(exp.status).toBe(0);
    expect(JSON.parse(exp.stdout).sessions).toBe(5);
    const ver = run(["verify", file]);
    expect(ver.stdout).toContain("verified: every record holds");
    expect(ver.status).toBe(0);
    writeFileSync(join(dir, "garbage.cbor"), Buffer.from("not cbor at all \xff\xfe"));
    const bad = run(["verify", join(dir, "garbage.cbor")]);
    expect(bad.status).toBe(3);
    expect(run(["frobnicate"]).status).toBe(2);
  });

  test("a clean bundle verifies, in any record order, and recomputes every session's energy", async () => {
    const { code, report } = await verifyJson(clean);
    expect(code).toBe(0);
    expect(report.findings).toEqual([]);
    expect(report.sessionsWh).toBe(clean.sessions.reduce((a, s) => a + s.energyWh!, 0));
    const shuffled = await verifyJson({ ...clean, records: [...clean.records].reverse() });
    expect(shuffled.code).toBe(0);
  });

  test("one flipped byte is named", async () => {
    const records = [...clean.records];
    const i = indexOf(records, "meter-1", 3);
    const tampered = new Uint8Array(records[i]!);
    tampered[20]! ^= 0x01;
    records[i] = tampered;
    const { code, report } = await verifyJson({ ...clean, records });
    expect(code).toBe(1);
    expect(report.findings.some((f) => ["bad_signature", "malformed_record"].includes(f.code) && f.index === i)).toBe(true);
  });

  test("a deleted record is a sequence gap", async () => {
    const records = [...clean.records];
    records.splice(indexOf(records, "meter-2", 4), 1);
    const { code, report } = await verifyJson({ ...clean, records });
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "sequence_gap", meterId: "meter-2", seq: 4 }));
  });

  test("two records swapped (re-signed with exchanged sequence numbers) break the hash links", async () => {
    const records = [...clean.records];
    const [i, j] = [indexOf(records, "meter-1", 5), indexOf(records, "meter-1", 6)];
    const [a, b] = [body(records[i]!), body(records[j]!)];
    const seed = demo.meterSeeds.get("meter-1")!;
    records[i] = forge({ ...a, seq: 6 }, seed);
    records[j] = forge({ ...b, seq: 5 }, seed);
    const { code, report } = await verifyJson({ ...clean, records });
    expect(code).toBe(1);
    expect(report.findings.filter((f) => f.code === "broken_hash_link").length).toBeGreaterThan(0);
  });

  test("a second record with the same sequence number is equivocation", async () => {
    const i = indexOf(clean.records, "meter-1", 4);
    const b = body(clean.records[i]!);
    const second = forge({ ...b, registerWh: b.registerWh + 1 }, demo.meterSeeds.get("meter-1")!);
    const { code, report } = await verifyJson({ ...clean, records: [...clean.records, second] });
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "equivocation", meterId: "meter-1", seq: 4 }));
  });

  test("a record signed by another key is named", async () => {
    const records = [...clean.records];
    const i = indexOf(records, "meter-2", 2);
    records[i] = forge(body(records[i]!), new Uint8Array(32).fill(99));
    const { code, report } = await verifyJson({ ...clean, records });
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "bad_signature", meterId: "meter-2", seq: 2, index: i }));
  });

  test("a register going backwards is named", async () => {
    const records = [...clean.records];
    const i = indexOf(records, "meter-1", 7);
    const b = body(records[i]!);
    records[i] = forge({ ...b, registerWh: b.registerWh - 5_000 }, demo.meterSeeds.get("meter-1")!);
    const { code, report } = await verifyJson({ ...clean, records });
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "register_regressed", meterId: "meter-1", seq: 7 }));
  });

  test("a claimed session energy that the records do not support is named", async () => {
    const sessions = clean.sessions.map((s, k) => (k === 0 ? { ...s, energyWh: s.energyWh! + 1 } : s));
    const { code, report } = await verifyJson({ ...clean, sessions });
    expect(code).toBe(1);
    expect(report.findings).toContainEqual(expect.objectContaining({ code: "energy_mismatch", sessionId: clean.sessions[0]!.sessionId }));
  });
});
