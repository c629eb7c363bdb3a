import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { SeededRandom, VirtualClock, contractId, meterId } from "@chargemesh/shared-model";
import type { LimitNode } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { parseSiteConfig } from "../../src/config/siteConfig.js";
import { SiteController } from "../../src/siteController.js";
import { startLocalApi } from "../../src/api/localApi.js";
import type { LocalApi } from "../../src/api/localApi.js";
import type { LocalApiDeps } from "../../src/api/localApiDeps.js";
import { siteLocalApiDeps } from "../../src/api/siteApiDeps.js";
import type { ApiPower } from "../../src/api/siteApiDeps.js";
import { technicianTokenDigest } from "../../src/api/technicianAuth.js";
import { localOperatorCertifier } from "../../src/audit/meterProvisioning.js";
import type { PlanRecord } from "../../src/power/powerManagerTypes.js";
import { FakeStall } from "../session/fakeStall.js";
import { TestSecureElement } from "../session/testSecureElement.js";

export const TECH = "alice-secret";

/** A power coordinator for API tests: every charging stall gets its maximum, plans are recorded
 *  with the limit tree they were made under. (The real PowerManager is tested in test/power.) */
class RecordingPower implements ApiPower {
  root: LimitNode = { id: "site", limitW: 50_000 };
  private plan: PlanRecord | null = null;
  private seq = 0;
  private readonly listeners = new Set<(p: PlanRecord) => void>();
  readonly limitCalls: LimitNode[] = [];
  currentPlan() {
    return this.plan;
  }
  onPlan(l: (p: PlanRecord) => void) {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }
  async setLimits(root: LimitNode) {
    this.limitCalls.push(root);
    this.root = root;
    this.publish("limit-change");
    return { ok: true as const, value: true as const };
  }
  publish(reason: string) {
    const plan: PlanRecord = {
      seq: ++this.seq,
      atMs: 0,
      reason,
      inputs: { root: this.root, stalls: [] },
      plan: {
        setpoints: [],
        nodes: [
          {
            nodeId: this.root.id,
            limitW: this.root.limitW,
            allocatedW: 0,
            reservedW: 0,
            overcommitted: false,
          },
        ],
        totalW: 0,
      },
      status: "applied",
      faulted: [],
      alarms: [],
    };
    this.plan = plan;
    for (const l of this.listeners) l(plan);
  }
}

export interface ApiTestSite {
  readonly clock: VirtualClock;
  readonly limiterClock: VirtualClock;
  readonly stalls: FakeStall[];
  readonly site: SiteController;
  readonly power: RecordingPower;
  readonly api: LocalApi;
  tick(n: number): Promise<void>;
  stop(): Promise<void>;
}

/** A real SiteController with fake stalls and its local API on a free port. */
export async function startApiTestSite(overrides: Partial<LocalApiDeps> = {}): Promise<ApiTestSite> {
  const dir = mkdtempSync(join(tmpdir(), "cm-api-"));
  const clock = new VirtualClock(Date.UTC(2026, 5, 1, 8));
  const limiterClock = new VirtualClock(1_000_000);
  const stalls = [new FakeStall(meterId("m1"), clock), new FakeStall(meterId("m2"), clock)];
  const config = parseSiteConfig({
    siteId: "site-api",
    dataDir: dir,
    gridLimitW: 50_000,
    stalls: stalls.map((s, i) => ({ id: `s${i + 1}`, meterId: s.meterId, maxW: 11_000 })),
    technicians: [{ id: "alice", tokenSha256: technicianTokenDigest(TECH) }],
  });
  const hardware = stalls.map((s, i) => ({
    config: config.stalls[i]!,
    meter: s.meter,
    stage: s.stage,
    link: s.link,
  }));
  const power = new RecordingPower();
  const site = await SiteController.start({
    config,
    clock,
    random: new SeededRandom(3),
    hardware,
    authorizer: {
      authorize: async () => ({
        accepted: true,
        reason: "Accepted",
        contractId: contractId("DE-ABC-C12345678-9"),
        caps: {},
        mode: "online",
      }),
    },
    secureElement: new TestSecureElement(),
    power: (hw) => ({
      stallCharging: () => {},
      replan: async () => void (await Promise.all(hw.map((h) => h.stage.setLimit(h.config.maxW)))),
    }),
    certifyMeter: localOperatorCertifier("op", new Uint8Array(32).fill(5), nodeEd25519, clock),
    log: pino({ level: "silent" }),
  });
  const deps = siteLocalApiDeps(site, {
    clock,
    power,
    hardware,
    siteLimitBounds: { minW: 10_000, maxW: 50_000 },
    kioskDir: null,
    overrides: { limiterClock, ...overrides },
  });
  const api = await startLocalApi(deps, "127.0.0.1", 0);
  return {
    clock,
    limiterClock,
    stalls,
    site,
    power,
    api,
    tick: async (n) => {
      for (let i = 0; i < n; i++) {
        clock.advance(1000);
        await site.tick();
      }
    },
    stop: async () => {
      await api.close();
      deps.close();
      await site.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
