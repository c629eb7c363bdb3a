import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  BundleItemReader,
  RecordStatus,
  VirtualClock,
  decodeBundleItem,
  decodeSignedRecord,
  encodeRecordBody,
  encodeSignedRecord,
  meterId,
  recordHash,
  stallId,
} from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { main } from "../../src/cli/siteExport.js";
import { writeAuditBundle } from "../../src/audit/exportBundle.js";
import { LedgerWriter } from "../../src/ledger/ledgerWriter.js";
import { MemoryLedgerStore } from "../../src/ledger/memoryLedgerStore.js";

const dir = mkdtempSync(join(tmpdir(), "cm-site-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  let out = "";
  let err = "";
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe("chargemesh-site-export", () => {
  test("refuses a path that is not a site store, creating nothing there", async () => {
    const empty = join(dir, "not-a-store");
    mkdirSync(empty);
    const r = await run(["--store", empty, "--site", "s1", "--out", join(dir, "x.cbor")]);
    expect(r.code).toBe(4);
    expect(r.err).toContain("is not a site store");
    expect(readdirSync(empty)).toEqual([]);
    const absent = await run([
      "--store",
      join(dir, "absent"),
      "--site",
      "s1",
      "--out",
      join(dir, "y.cbor"),
      "--json",
    ]);
    expect(absent.code).toBe(4);
    expect(JSON.parse(absent.out).error.code).toBe("not_a_site_store");
    expect(existsSync(join(dir, "absent"))).toBe(false);
    expect(existsSync(join(dir, "x.cbor"))).toBe(false);
    expect((await run(["--bogus"])).code).toBe(2);
    expect((await run(["--store", empty])).code).toBe(2);
  });

  test("streams a 154,001-record chain of one meter into a bundle (the old export died on an array spread)", async () => {
    const store = new MemoryLedgerStore();
    // Export does not check signatures (the auditor does, see auditor/test/scale.test.ts): a fixed one will do.
    const signature = new Uint8Array(64).fill(7);
    const m = meterId("big-meter");
    const N = 154_001;
    let prevHash: Uint8Array = new Uint8Array(32);
    for (let seq = 0; seq < N; seq++) {
      const bodyBytes = encodeRecordBody({
        version: 1,
        meterId: m,
        seq,
        prevHash,
        meterTimeMs: Date.UTC(2026, 0, 1) + seq * 60_000,
        registerWh: seq,
        stallId: stallId("s-1"),
        sessionId: null,
        kind: seq === 0 ? "boot" : "checkpoint",
        status: RecordStatus.ok,
        meterPayload: null,
      });
      const shipped = encodeSignedRecord({ bodyBytes, signature });
      prevHash = recordHash(shipped);
      await store.append(m, seq, shipped);
    }
    const clock = new VirtualClock(Date.UTC(2026, 0, 1) + N * 60_000);
    const out = join(dir, "big.cbor");
    const counts = writeAuditBundle(
      { siteId: "big-site", operatorKeys: {}, meterCertificates: {}, ledger: store, sessions: [] },
      clock.now(),
      out,
    );
    expect(counts.records).toBe(N);
    const reader = new BundleItemReader();
    const framed = reader.push(readFileSync(out));
    expect(framed.error).toBeNull();
    const items = framed.items.map((c) => decodeBundleItem(c));
    const records = items.filter((i) => i.ok && i.value.kind === "record");
    expect(records).toHaveLength(N);
    const last = records.at(-1)!;
    const body = last.ok && last.value.kind === "record" ? decodeSignedRecord(last.value.bytes) : null;
    expect(body?.ok && body.value.body.seq).toBe(N - 1);
    expect(items.at(-1)).toEqual({ ok: true, value: { kind: "end", records: N, claims: 0 } });
  }, 300_000);
});

describe("ledger writer assertions", () => {
  test("refuses to sign when the stored chain no longer ends where the writer's head says", async () => {
    const store = new MemoryLedgerStore();
    const seed = new Uint8Array(32).fill(6);
    const writer = new LedgerWriter(
      store,
      async (_m, bytes) => nodeEd25519.sign(bytes, seed),
      new VirtualClock(),
    );
    const m = meterId("m-1");
    const req = {
      meterId: m,
      stallId: stallId("s-1"),
      sessionId: null,
      kind: "checkpoint" as const,
      registerWh: 1,
      status: RecordStatus.ok,
    };
    await writer.append(req);
    await writer.append(req);
    // A second writer (say, a restored backup) appends seq 2 behind this writer's back.
    const other = new LedgerWriter(
      store,
      async (_m, bytes) => nodeEd25519.sign(bytes, seed),
      new VirtualClock(Date.UTC(2027, 0, 1)),
    );
    await other.append(req);
    await expect(writer.append(req)).rejects.toMatchObject({ code: "internal" });
    expect([...store.records(m)]).toHaveLength(3);
  });
});
