import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { SeededRandom } from "@chargemesh/shared-model";
import { decodeSignedRecord } from "@chargemesh/shared-model";
import { isFailing, verifyAuditBundle } from "@chargemesh/shared-model";
import { exportStore } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";

const dir = mkdtempSync(join(tmpdir(), "cm-crash-"));
afterAll(() =>
  process.env.KEEP_CRASH_DIR ? console.log(`kept ${dir}`) : rmSync(dir, { recursive: true, force: true }),
);
const SIM = [
  "--import",
  "tsx",
  "simulation/src/cli/simSite.ts",
  "--stalls",
  "4",
  "--vehicles",
  "80",
  "--seed",
  "5",
  "--data",
  dir,
  "--json",
];
const KILLS = 22;

/**
 * Runs the real edge-node simulation process and SIGKILLs it as soon as it has acknowledged
 * `afterAcks` durable records (counting events, so where the kill lands does not depend on how fast
 * a loaded machine runs it); returns its acknowledgements.
 */
function runAndKill(afterAcks: number): Promise<{ acks: string[]; killed: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...SIM, "--ack-log"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    // Complete lines only: a chunk may end inside one.
    const acks = () =>
      out
        .split("\n")
        .slice(0, -1)
        .filter((l) => l.startsWith("ack "))
        .map((l) => l.slice(4));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (acks().length >= afterAcks) child.kill("SIGKILL");
    });
    child.on("exit", (_code, signal) => resolve({ acks: acks(), killed: signal === "SIGKILL" }));
  });
}

/** The invariants that must hold after any crash: a verifying ledger, one begin per session, nothing acknowledged lost. */
async function checkInvariants(acked: Set<string>) {
  const bundle = await exportStore(join(dir, "store"), "sim-site");
  const report = verifyAuditBundle(bundle, nodeEd25519);
  // A journal may lag its signed records right after a kill (claim_behind_records, informational): recovery closes it at the next start.
  const problems = report.findings.filter((f) => isFailing(f) && f.code !== "total_mismatch");
  expect(problems).toEqual([]);
  const present = new Set<string>();
  const begins = new Map<string, number>();
  for (const shipped of bundle.records) {
    const r = decodeSignedRecord(shipped);
    if (!r.ok) throw r.error;
    present.add(`${r.value.body.meterId} ${r.value.body.seq}`);
    if (r.value.body.kind === "begin")
      begins.set(r.value.body.sessionId!, (begins.get(r.value.body.sessionId!) ?? 0) + 1);
  }
  for (const a of acked) expect(present.has(a), `acknowledged record ${a} lost`).toBe(true);
  expect(
    [...begins].filter(([, n]) => n !== 1),
    "sessions with more than one begin record",
  ).toEqual([]);
  return { bundle, report };
}

test(`edge-node survives SIGKILL at ${KILLS} random points: no acknowledged record lost, no second begin, no gap`, async () => {
  const rnd = new SeededRandom(2026);
  const acked = new Set<string>();
  let kills = 0;
  // Kill until KILLS crashes have happened during the day (a run that finished on its own is not a crash).
  for (let attempt = 0; kills < KILLS && attempt < KILLS * 2; attempt++) {
    const afterAcks = rnd.int(3, 40);
    const { acks, killed } = await runAndKill(afterAcks);
    for (const a of acks) acked.add(a);
    if (killed) kills++;
    await checkInvariants(acked);
  }
  console.log(`crash test: ${kills} SIGKILLs, ${acked.size} acknowledged records`);
  expect(kills).toBeGreaterThanOrEqual(KILLS);
  expect(acked.size).toBeGreaterThan(20);
  // Finally run to the end: recovery closes what the crashes left open and the whole ledger verifies.
  const last = spawnSync(process.execPath, SIM, { encoding: "utf8" });
  expect(last.status, last.stdout + last.stderr).toBe(0);
  const result = JSON.parse(last.stdout) as {
    sessions: { open: number; completed: number };
    verified: boolean;
  };
  expect(result.sessions.open).toBe(0);
  expect(result.verified).toBe(true);
  const { report } = await checkInvariants(acked);
  expect(report.ok).toBe(true);
  expect(
    report.sessions.filter((s) => !s.complete),
    "sessions without an end record",
  ).toEqual([]);
}, 600_000);
