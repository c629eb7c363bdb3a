/**
 * A seeded adversarial script for the power manager (used by its CI test and by `npm run bench:power`):
 * a 12-stall site (two cabinets of 4 AC + 2 DC stalls, reaction delays 0.2-2.8 s) whose cars pause and
 * resume at any moment (some keep reporting acceptance while paused, some say nothing at all),
 * change their acceptance in jumps, plug and unplug in storms; stages that lose writes, lose
 * acknowledgements, or stop answering and fall back; limit cuts announced ahead and cuts with no
 * notice. Time runs in 90 s blocks: events fall in the first 50 s, the last 40 s are quiet, so the
 * measurement can tell transitions from steady state.
 */
import { SeededRandom } from "@chargemesh/shared-model";
import type { LimitNode } from "@chargemesh/shared-model";

export interface StressStall {
  readonly id: string;
  readonly nodeId: string;
  readonly kind: "ac" | "dc";
  readonly maxW: number;
  readonly minW: number;
  readonly safeLimitW: number;
  readonly reactionDelayMs: number;
  /** The stage applies its safe limit this long after losing contact. */
  readonly fallbackAfterMs: number;
}

export type StressEvent =
  | {
      readonly atMs: number;
      readonly kind: "plug";
      readonly stall: number;
      readonly wantsW: number;
      readonly reports: boolean;
    }
  | { readonly atMs: number; readonly kind: "unplug"; readonly stall: number }
  /** `honest`: the car reports acceptance 0 while paused; otherwise it keeps reporting and draws nothing. */
  | { readonly atMs: number; readonly kind: "pause"; readonly stall: number; readonly honest: boolean }
  | { readonly atMs: number; readonly kind: "resume"; readonly stall: number }
  | { readonly atMs: number; readonly kind: "wants"; readonly stall: number; readonly wantsW: number }
  | {
      readonly atMs: number;
      readonly kind: "loss";
      readonly stall: number;
      readonly writes: number;
      readonly acks: number;
    }
  | { readonly atMs: number; readonly kind: "reachable"; readonly stall: number; readonly reachable: boolean }
  /** The controller learns new limits (`announced`: ahead of `effectiveMs`; otherwise in force now). */
  | {
      readonly atMs: number;
      readonly kind: "limits";
      readonly limits: LimitNode;
      readonly effectiveMs: number;
      readonly announced: boolean;
    };

export interface StressScenario {
  readonly seed: number;
  readonly stalls: readonly StressStall[];
  readonly limits: LimitNode;
  readonly durationMs: number;
  /** Sorted by time (stable). */
  readonly events: readonly StressEvent[];
  /** Instants from which a window of 25 s without events counts as steady state. */
  readonly blockMs: number;
}

export const STRESS_BLOCK_MS = 90_000;
const ACTIVE_MS = 50_000;

function tree(site: number, cabinet: number): LimitNode {
  return {
    id: "site",
    limitW: site,
    children: [
      { id: "c1", limitW: cabinet },
      { id: "c2", limitW: cabinet },
    ],
  };
}

/** Builds the script for `seed`: `blocks` blocks of 90 s (the default 9 has every kind of trouble once). The same seed gives the same script. */
export function buildStressScenario(seed: number, blocks = 9): StressScenario {
  const rnd = new SeededRandom(seed);
  const stalls: StressStall[] = [];
  for (const nodeId of ["c1", "c2"]) {
    for (let k = 0; k < 6; k++) {
      const dc = k >= 4;
      stalls.push({
        id: `${nodeId}s${k + 1}`,
        nodeId,
        kind: dc ? "dc" : "ac",
        maxW: dc ? 50_000 : 22_000,
        minW: dc ? 5_000 : 4_140,
        safeLimitW: dc ? 5_000 : 4_140,
        reactionDelayMs: dc ? rnd.int(10, 28) * 100 : rnd.int(2, 15) * 100,
        fallbackAfterMs: 15_000,
      });
    }
  }
  const limits = tree(150_000, 90_000);
  const events: StressEvent[] = [];
  const wants = (i: number) =>
    stalls[i]!.kind === "dc" ? rnd.int(8, 50) * 1_000 : [7_400, 11_000, 16_000, 22_000][rnd.int(0, 3)]!;
  const plugged = stalls.map(() => false);
  const paused = stalls.map(() => false);
  const plug = (atMs: number, i: number) => {
    plugged[i] = true;
    paused[i] = false;
    events.push({
      atMs,
      kind: "plug",
      stall: i,
      wantsW: wants(i),
      reports: stalls[i]!.kind === "dc" || rnd.next() < 0.6,
    });
  };
  const unplug = (atMs: number, i: number) => {
    plugged[i] = false;
    events.push({ atMs, kind: "unplug", stall: i });
  };
  for (let i = 0; i < stalls.length; i++) if (rnd.next() < 0.8) plug(rnd.int(0, 3_000), i);

  // Stage troubles and limit changes, one kind per block, in a seeded order.
  const troubles = [
    "lost-writes",
    "announced-cut",
    "unreachable",
    "unannounced-cut",
    "lost-acks",
    "unannounced-cut-lossy",
    "storm",
    "announced-cut",
  ];
  for (let k = troubles.length - 1; k > 0; k--) {
    const j = rnd.int(0, k);
    [troubles[k], troubles[j]] = [troubles[j]!, troubles[k]!];
  }
  for (let b = 0; b < blocks; b++) {
    const t0 = b * STRESS_BLOCK_MS;
    const trouble = b === 0 ? "none" : troubles[(b - 1) % troubles.length]!;
    const at = t0 + rnd.int(2_000, 8_000);
    const victim = rnd.int(0, stalls.length - 1);
    const cut = () => tree(rnd.int(95, 115) * 1_000, rnd.int(55, 68) * 1_000);
    if (trouble === "lost-writes") {
      events.push({ atMs: at, kind: "loss", stall: victim, writes: 0.5, acks: 0 });
      events.push({ atMs: at + 40_000, kind: "loss", stall: victim, writes: 0, acks: 0 });
    } else if (trouble === "lost-acks") {
      events.push({ atMs: at, kind: "loss", stall: victim, writes: 0, acks: 1 });
      events.push({ atMs: at + 40_000, kind: "loss", stall: victim, writes: 0, acks: 0 });
    } else if (trouble === "unreachable") {
      events.push({ atMs: at, kind: "reachable", stall: victim, reachable: false });
      events.push({ atMs: at + rnd.int(5, 30) * 1_000, kind: "reachable", stall: victim, reachable: true });
    } else if (trouble === "announced-cut") {
      const l = cut();
      events.push({ atMs: at, kind: "limits", limits: l, effectiveMs: at + 30_000, announced: true });
      events.push({ atMs: at + 45_000, kind: "limits", limits, effectiveMs: at + 45_000, announced: false });
    } else if (trouble === "unannounced-cut" || trouble === "unannounced-cut-lossy") {
      if (trouble === "unannounced-cut-lossy")
        events.push({ atMs: at - 1_000, kind: "loss", stall: victim, writes: 0.5, acks: 0.5 });
      events.push({
        atMs: at + 5_000,
        kind: "limits",
        limits: cut(),
        effectiveMs: at + 5_000,
        announced: false,
      });
      events.push({ atMs: at + 40_000, kind: "limits", limits, effectiveMs: at + 40_000, announced: false });
      if (trouble === "unannounced-cut-lossy")
        events.push({ atMs: at + 44_000, kind: "loss", stall: victim, writes: 0, acks: 0 });
    } else if (trouble === "storm") {
      // plug/unplug storm: within 300 ms most stalls change, some twice
      for (let i = 0; i < stalls.length; i++) {
        if (rnd.next() < 0.3) continue;
        const t = at + rnd.int(0, 300);
        if (plugged[i]) unplug(t, i);
        else plug(t, i);
        if (rnd.next() < 0.4) {
          if (plugged[i]) unplug(t + rnd.int(1, 100), i);
          else plug(t + rnd.int(1, 100), i);
        }
      }
    }
    // Car behaviour at random moments of the active part: pauses, resumptions, acceptance jumps,
    // departures and arrivals.
    const n = rnd.int(8, 16);
    for (let e = 0; e < n; e++) {
      const t = t0 + rnd.int(0, ACTIVE_MS);
      const i = rnd.int(0, stalls.length - 1);
      const r = rnd.next();
      if (!plugged[i]) {
        if (r < 0.6) plug(t, i);
      } else if (paused[i]) {
        paused[i] = false;
        events.push({ atMs: t, kind: "resume", stall: i });
      } else if (r < 0.4) {
        paused[i] = true;
        events.push({ atMs: t, kind: "pause", stall: i, honest: rnd.next() < 0.7 });
        // most pauses end within the block, some within a few hundred ms
        const back = t + (rnd.next() < 0.3 ? rnd.int(50, 800) : rnd.int(2_000, 30_000));
        if (back < t0 + ACTIVE_MS && rnd.next() < 0.8) {
          paused[i] = false;
          events.push({ atMs: back, kind: "resume", stall: i });
        }
      } else if (r < 0.75) events.push({ atMs: t, kind: "wants", stall: i, wantsW: wants(i) });
      else if (r < 0.9) unplug(t, i);
      else events.push({ atMs: t, kind: "wants", stall: i, wantsW: stalls[i]!.minW });
    }
  }
  const order = events.map((e, k) => ({ e, k })).sort((a, b) => a.e.atMs - b.e.atMs || a.k - b.k);
  return {
    seed,
    stalls,
    limits,
    durationMs: blocks * STRESS_BLOCK_MS,
    events: order.map((x) => x.e),
    blockMs: STRESS_BLOCK_MS,
  };
}
