import { RecordStatus, SeededRandom, VirtualClock, meterId, newSessionId, siteId, stallId } from "@chargemesh/shared-model";
import type { Ed25519 } from "@chargemesh/shared-model";
import type { SessionEntry } from "@chargemesh/edge-node";
import { LedgerWriter } from "@chargemesh/edge-node";
import { MemoryLedgerStore } from "@chargemesh/edge-node";
import { localOperatorCertifier } from "@chargemesh/edge-node";
import type { BundleSource } from "@chargemesh/edge-node";

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
}

export async function generateDemoLedger(opts: DemoLedgerOptions, ed: Ed25519): Promise<DemoLedger> {
  const rnd = new SeededRandom(opts.seed);
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const site = siteId("demo-site");
  const store = new MemoryLedgerStore();
  const seeds = new Map<string, Uint8Array>();
  const certify = localOperatorCertifier("demo-operator", new SeededRandom(opts.seed + 1).bytes(32), ed, clock);
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
    await writer.append({ meterId: m, stallId: stallId(`stall-${i + 1}`), sessionId: null, kind: "boot", registerWh: rnd.int(0, 1_000_000), status: RecordStatus.ok });
  }
  const sessions: SessionEntry[] = [];
  for (let s = 0; s < opts.sessions; s++) {
    const i = s % meters.length;
    const m = meters[i]!;
    const stall = stallId(`stall-${i + 1}`);
    clock.advance(rnd.int(60_000, 600_000));
    const sessionId = newSessionId(site, clock.now(), (n) => rnd.bytes(n));
    const startedAtMs = clock.now();
    let wh = writer.lastRegisterWh(m);
    const begin = await writer.append({ meterId: m, stallId: stall, sessionId, kind: "begin", registerWh: wh, status: RecordStatus.ok });
    const beginWh = wh;
    for (let k = 0; k < opts.checkpointsPerSession; k++) {
      clock.advance(60_000);
      wh += rnd.int(0, 2_500);
      await writer.append({ meterId: m, stallId: stall, sessionId, kind: "checkpoint", registerWh: wh, status: RecordStatus.ok });
    }
    clock.advance(rnd.int(1_000, 60_000));
    wh += rnd.int(0, 500);
    const end = await writer.append({ meterId: m, stallId: stall, sessionId, kind: "end", registerWh: wh, status: RecordStatus.ok });
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
  return { siteId: site, operatorKeys, meterCertificates, ledger: store, sessions, meterSeeds: seeds };
}
