import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, test } from "vitest";
import { Repo } from "@automerge/automerge-repo";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { runStorageAdapterTests } from "@automerge/automerge-repo/helpers/tests/storage-adapter-tests.js";
import { SqliteStorageAdapter } from "../src/sqliteStorageAdapter.js";

const root = mkdtempSync(join(tmpdir(), "cm-sqlite-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

runStorageAdapterTests(async () => {
  const adapter = new SqliteStorageAdapter(join(root, `acceptance-${n++}.sqlite`));
  return { adapter, teardown: () => adapter.close() };
}, "SqliteStorageAdapter (automerge-repo acceptance suite)");

describe("SqliteStorageAdapter durability", () => {
  test("a prefix never matches a longer sibling key part", async () => {
    const a = new SqliteStorageAdapter(join(root, "prefix.sqlite"));
    await a.save(["doc1", "snapshot", "h1"], new Uint8Array([1]));
    await a.save(["doc10", "snapshot", "h2"], new Uint8Array([2]));
    expect((await a.loadRange(["doc1"])).map((c) => c.key)).toEqual([["doc1", "snapshot", "h1"]]);
    await a.removeRange(["doc1"]);
    expect(await a.loadRange([])).toHaveLength(1);
    a.close();
  });

  test("a document saved by one Repo loads in a new Repo on the same file", async () => {
    const file = join(root, "repo.sqlite");
    const s1 = new SqliteStorageAdapter(file);
    const r1 = new Repo({ storage: s1, network: [] });
    const h = r1.create<{ n: number }>({ n: 1 });
    h.change((d) => {
      d.n = 42;
    });
    await r1.flush();
    await r1.shutdown();
    s1.close();
    const s2 = new SqliteStorageAdapter(file);
    const r2 = new Repo({ storage: s2, network: [] });
    const h2 = await r2.find<{ n: number }>(h.url);
    expect(h2.doc().n).toBe(42);
    await r2.shutdown();
    s2.close();
  });

  test("every acknowledged save survives SIGKILL of the writing process", async () => {
    const file = join(root, "killed.sqlite");
    // The child acknowledges each save on stdout, then is killed mid-stream by a SIGKILL to itself.
    const child = `
      import { SqliteStorageAdapter } from ${JSON.stringify(join(import.meta.dirname, "../src/sqliteStorageAdapter.ts"))};
      const a = new SqliteStorageAdapter(${JSON.stringify(file)});
      for (let i = 0; i < 200; i++) {
        await a.save(["doc", "incremental", String(i).padStart(4, "0")], new Uint8Array(1024).fill(i % 256));
        process.stdout.write(i + "\\n");
        if (i === 137) process.kill(process.pid, "SIGKILL");
      }`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", child], {
      encoding: "utf8",
    });
    expect(r.signal).toBe("SIGKILL");
    const acked = r.stdout.trim().split("\n").map(Number);
    expect(acked.at(-1)).toBe(137);
    const a = new SqliteStorageAdapter(file);
    const chunks = await a.loadRange(["doc"]);
    expect(chunks.length).toBe(138);
    for (const i of acked)
      expect((await a.load(["doc", "incremental", String(i).padStart(4, "0")]))?.[0]).toBe(i % 256);
    a.close();
  });
});

describe("SqliteStorageAdapter quarantine", () => {
  test("quarantine sets a document's chunks aside: they leave the live table, are kept with why and when, and survive a reopen", async () => {
    const file = join(root, "quarantine.sqlite");
    const s = new SqliteStorageAdapter(file);
    await s.save(["doc-a", "snapshot", "h1"], new Uint8Array([1, 2, 3]));
    await s.save(["doc-a", "incremental", "h2"], new Uint8Array([4]));
    await s.save(["doc-b", "snapshot", "h3"], new Uint8Array([5]));
    expect(s.documentIds()).toEqual(["doc-a", "doc-b"]);
    expect(s.quarantine(["doc-a"], "bad checksum", 1_000)).toBe(2);
    expect(s.documentIds()).toEqual(["doc-b"]);
    expect(await s.loadRange(["doc-a"])).toEqual([]);
    expect((await s.loadRange(["doc-b"])).length).toBe(1);
    s.close();
    const again = new SqliteStorageAdapter(file);
    const held = again.quarantined(["doc-a"]);
    expect(held.map((c) => c.key)).toEqual([
      ["doc-a", "snapshot", "h1"],
      ["doc-a", "incremental", "h2"],
    ]);
    expect([...held[0]!.data]).toEqual([1, 2, 3]);
    expect(held[0]!.reason).toBe("bad checksum");
    expect(held[0]!.atMs).toBe(1_000);
    expect(again.quarantined(["doc-b"])).toEqual([]);
    expect(again.file).toBe(file);
    again.close();
  });
});
