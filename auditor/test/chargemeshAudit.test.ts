import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AuditBundle } from "@chargemesh/shared-model";
import { encodeRecordBody, encodeSignedRecord } from "@chargemesh/shared-model";
import { main } from "../src/cli/chargemeshAudit.js";
import { audit, bodyOf, demoBundle, readBundle, resignEverything, writeBundle } from "./bundleForgery.js";

const dir = mkdtempSync(join(tmpdir(), "cm-auditor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let demo: { bundle: string; anchors: string };
let genuine: AuditBundle;
beforeAll(() => {
  demo = demoBundle(join(dir, "demo.cbor"));
  genuine = readBundle(demo.bundle);
});

const json = (r: { stdout: string }) =>
  JSON.parse(r.stdout) as {
    verdict: string;
    findings: { code: string; meterId?: string; field?: string }[];
    sessions: unknown[];
  };
const codesOf = (r: { stdout: string }) => [...new Set(json(r).findings.map((f) => f.code))];
/** The CLI in this process (the spawned child is tested where it matters: exit codes, the hang). */
async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await main(args, { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return { status, stdout, stderr };
}
let n = 0;
const file = (b: AuditBundle) => writeBundle(join(dir, `b${n++}.cbor`), b);

describe("chargemesh-audit verify (the real CLI)", () => {
  test("a genuine bundle verifies under the operator's anchors (exit 0); without anchors it is self-asserted (exit 4)", async () => {
    const ok = audit(["verify", demo.bundle, "--trust", demo.anchors]);
    expect(ok.stdout).toContain("verified: every record and claim holds");
    expect(ok.status).toBe(0);
    const self = await cli(["verify", demo.bundle, "--json"]);
    expect(json(self).verdict).toBe("self-asserted");
    expect(self.status).toBe(4);
  });

  test("a bundle re-signed under a replaced operator key fails under the anchors, naming it", async () => {
    const forged = file(resignEverything(genuine));
    expect((await cli(["verify", forged])).status).toBe(4);
    const r = await cli(["verify", forged, "--trust", demo.anchors, "--json"]);
    expect(r.status).toBe(1);
    expect(codesOf(r)).toEqual(
      expect.arrayContaining(["untrusted_operator_key", "bad_certificate", "unknown_meter"]),
    );
  });

  test("a truncated bundle (a meter's last session and its claim cut) fails, naming the missing head", async () => {
    const last = genuine.sessions.at(-1)!;
    const beginSeq = genuine.records
      .map(bodyOf)
      .find((b) => b.sessionId === last.sessionId && b.kind === "begin")!.seq;
    const cut = file({
      ...genuine,
      records: genuine.records.filter((r) => bodyOf(r).meterId !== last.meterId || bodyOf(r).seq < beginSeq),
      sessions: genuine.sessions.slice(0, -1),
    });
    const r = await cli(["verify", cut, "--trust", demo.anchors, "--json"]);
    expect(r.status).toBe(1);
    expect(json(r).findings).toContainEqual(
      expect.objectContaining({ code: "chain_head_missing", meterId: last.meterId }),
    );
  });

  test("an edited claim fails, naming the field", async () => {
    const edited = file({
      ...genuine,
      sessions: genuine.sessions.map((s, i) => (i === 2 ? { ...s, stallId: "stall-9" } : s)),
    });
    const r = await cli(["verify", edited, "--trust", demo.anchors, "--json"]);
    expect(r.status).toBe(1);
    expect(json(r).findings).toContainEqual(
      expect.objectContaining({ code: "claim_mismatch", field: "stallId" }),
    );
  });

  test("hang: a record with seq 2^31 keeping its old signature ends with its findings", async () => {
    const records = [...genuine.records];
    const i = records.findIndex((r) => bodyOf(r).meterId === "meter-1" && bodyOf(r).seq === 5);
    const old = records[i]!;
    const rewrapped = encodeSignedRecord({
      bodyBytes: encodeRecordBody({ ...bodyOf(old), seq: 2 ** 31 }),
      signature: old.subarray(old.length - 64),
    });
    records[i] = rewrapped;
    const r = audit(["verify", file({ ...genuine, records }), "--trust", demo.anchors, "--json"], 60_000);
    expect(r.error).toBeUndefined(); // not killed by the time bound
    expect(r.status).toBe(1);
    expect(codesOf(r)).toEqual(expect.arrayContaining(["bad_signature", "sequence_gap"]));
  });

  test("crash: a validly signed OCMF|{}|null payload (a forger needs no secret) is a finding, not exit 70", async () => {
    const forged = resignEverything(genuine, (b) =>
      b.meterId === "meter-2" && b.seq === 3
        ? { ...b, meterPayload: new TextEncoder().encode("OCMF|{}|null") }
        : b,
    );
    const r = await cli(["verify", file(forged), "--json"]);
    expect(r.status).toBe(1);
    expect(codesOf(r)).toContain("bad_meter_payload");
  });

  test("unreadable input, bad flags and the export command get their exit codes", async () => {
    const garbage = join(dir, "garbage.cbor");
    writeFileSync(garbage, Buffer.from("not cbor at all \xff\xfe"));
    expect(audit(["verify", garbage]).status).toBe(3);
    expect((await cli(["verify", join(dir, "absent.cbor")])).status).toBe(3);
    expect((await cli(["verify", demo.bundle, "--trust", garbage])).status).toBe(3);
    expect(audit(["verify", demo.bundle, "--bogus"]).status).toBe(2);
    expect((await cli(["frobnicate"])).status).toBe(2);
    const exp = await cli(["export", "--store", dir]);
    expect(exp.status).toBe(2);
    expect(exp.stderr).toContain("site-export");
    expect((await cli(["--help"])).status).toBe(0);
  });

  test("signature checks on 0, 1 or 3 worker threads give the same report", async () => {
    const tampered = [...genuine.records];
    tampered[7] = new Uint8Array(tampered[7]!).map((x, k) => (k === 30 ? x ^ 1 : x));
    const f = file({ ...genuine, records: tampered });
    const reports: string[] = [];
    for (const workers of ["0", "1", "3"]) {
      let out = "";
      const code = await main(["verify", f, "--trust", demo.anchors, "--workers", workers, "--json"], {
        out: (s) => (out += s),
        err: () => {},
      });
      expect(code).toBe(1);
      reports.push(out);
    }
    expect(new Set(reports).size).toBe(1);
  });
});
