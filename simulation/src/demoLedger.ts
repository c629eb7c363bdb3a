import {
  RecordStatus,
  SeededRandom,
  VirtualClock,
  meterId,
  newSessionId,
  siteId,
  stallId,
} from "@chargemesh/shared-model";
import type { Ed25519 } from "@chargemesh/shared-model";
import type { JournalEntry } from "@chargemesh/shared-model";
import { LedgerWriter } from "@chargemesh/edge-node";
import { MemoryLedgerStore } from "@chargemesh/edge-node";
import { localOperatorCertifier } from "@chargemesh/edge-node";
import type { BundleSource } from "@chargemesh/edge-node";
import { IdleRecorder } from "@chargemesh/edge-node";
import type { TrustAnchors } from "@chargemesh/shared-model";
import { chainHeads } from "@chargemesh/shared-model";

/** Idle records every 15 minutes of meter time; the demo's anchors allow 20 minutes between records. */
const DEMO_IDLE_INTERVAL_MS = 15 * 60_000;
export const DEMO_MAX_RECORD_GAP_MS = 20 * 60_000;
const IDLE_STEP_MS = 5 * 60_000;

export interface DemoLedgerOptions {
  readonly meters: number;
  readonly sessions: number;
  readonly checkpointsPerSession: number;
  readonly seed: number;
}

/**
 * A deterministic signed ledger of simulated sessions (same seed, same bytes): for auditors who want
 * a bundle to try the verifier on, for tests that tamper with it, and for benchmarks.
 */
export interface DemoLedger extends BundleSource {
  /** The meters' signing seeds: a demo has no secure element; tests use them to forge records. */
  readonly meterSeeds: ReadonlyMap<string, Uint8Array>;
  /** What the demo operator publishes outside the bundle: its key, its meters, its record-gap policy, the chain heads it holds. */
  readonly anchors: TrustAnchors;
  /** Meter time of the last records (every meter signs one then): the bundle's creation time. */
  readonly endMs: number;
}

export async function generateDemoLedger(opts: DemoLedgerOptions, ed: Ed25519): Promise<DemoLedger> {
  const rnd = new SeededRandom(opts.seed);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const site = siteId("demo-site");
  const store = new MemoryLedgerStore();
  const seeds = new Map<string, Uint8Array>();
  const certify = localOperatorCertifier(
    "demo-operator",
    new SeededRandom(opts.seed + 1).bytes(32),
    ed,
    clock,
  );
  const operatorKeys: Record<string, Uint8Array> = {};
  const meterCertificates: Record<string, Uint8Array[]> = {};
  const meters = Array.from({ length: opts.meters }, (_, i) => meterId(`meter-${i + 1}`));
  for (const m of meters) {
    const seed = rnd.bytes(32);
    seeds.set(m, seed);
    const c = await certify(m, ed.publicKey(seed), 0, "site-secure-element");
    operatorKeys[c.operatorKeyId] = c.operatorPublicKey;
    meterCertificates[m] = [c.certificate];
  }
  const writer = new LedgerWriter(store, async (m, bytes) => ed.sign(bytes, seeds.get(m)!), clock);
  for (const [i, m] of meters.entries()) {
    await writer.append({
      meterId: m,
      stallId: stallId(`stall-${i + 1}`),
      sessionId: null,
      kind: "boot",
      registerWh: rnd.int(0, 1_000_000),
      status: RecordStatus.ok,
    });
  }
  const idleMeters = meters.map((m, i) => ({
    meterId: m,
    stallId: stallId(`stall-${i + 1}`),
    readRegisterWh: async () => writer.lastRegisterWh(m),
  }));
  const idle = new IdleRecorder(writer, clock, () => idleMeters, DEMO_IDLE_INTERVAL_MS);
  /** Advances meter time, letting idle meters sign their records on the way. */
  const advance = async (ms: number) => {
    for (let left = ms; left > 0; left -= IDLE_STEP_MS) {
      clock.advance(Math.min(left, IDLE_STEP_MS));
      await idle.tick();
    }
  };
  const sessions: JournalEntry[] = [];
  for (let s = 0; s < opts.sessions; s++) {
    const i = s % meters.length;
    const m = meters[i]!;
    const stall = stallId(`stall-${i + 1}`);
    await advance(rnd.int(60_000, 600_000));
    const sessionId = newSessionId(site, clock.now(), (n) => rnd.bytes(n));
    const startedAtMs = clock.now();
    let wh = writer.lastRegisterWh(m);
    const begin = await writer.append({
      meterId: m,
      stallId: stall,
      sessionId,
      kind: "begin",
      registerWh: wh,
      status: RecordStatus.ok,
    });
    const beginWh = wh;
    for (let k = 0; k < opts.checkpointsPerSession; k++) {
      await advance(60_000);
      wh += rnd.int(0, 2_500);
      await writer.append({
        meterId: m,
        stallId: stall,
        sessionId,
        kind: "checkpoint",
        registerWh: wh,
        status: RecordStatus.ok,
      });
    }
    await advance(rnd.int(1_000, 60_000));
    wh += rnd.int(0, 500);
    const end = await writer.append({
      meterId: m,
      stallId: stall,
      sessionId,
      kind: "end",
      registerWh: wh,
      status: RecordStatus.ok,
    });
    sessions.push({
      sessionId,
      stallId: stall,
      meterId: m,
      startedAtMs,
      state: "completed",
      contractId: null,
      authorization: null,
      begin: { meterId: m, seq: begin.body.seq, registerWh: beginWh },
      end: { meterId: m, seq: end.body.seq, registerWh: wh },
      endedAtMs: clock.now(),
      stopReason: "full",
      stoppedBy: null,
    });
  }
  // Every meter signs a last idle record at the end: the chains reach the bundle's creation time.
  await advance(60_000);
  for (const m of idleMeters) {
    await writer.append({
      meterId: m.meterId,
      stallId: m.stallId,
      sessionId: null,
      kind: "checkpoint",
      registerWh: writer.lastRegisterWh(m.meterId),
      status: RecordStatus.ok,
    });
  }
  const anchors: TrustAnchors = {
    operatorKeys: new Map(Object.entries(operatorKeys)),
    meters: new Set(meters),
    maxRecordGapMs: DEMO_MAX_RECORD_GAP_MS,
    heads: chainHeads(meters.flatMap((m) => [...store.records(m)].slice(-1))),
  };
  return {
    siteId: site,
    operatorKeys,
    meterCertificates,
    ledger: store,
    sessions,
    meterSeeds: seeds,
    anchors,
    endMs: clock.now(),
  };
}
