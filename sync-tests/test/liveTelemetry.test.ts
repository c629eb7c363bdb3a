import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import type { LiveTelemetry } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { SimVehicle } from "@chargemesh/hal";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { startCloudApi } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";

const dir = mkdtempSync(join(tmpdir(), "cm-live-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const until = async (cond: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
};

test("a site's live figures reach the cloud gateway as ephemeral messages; malformed and mis-addressed ones are counted and dropped", async () => {
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
  });
  const api = await startCloudApi(cloud, "127.0.0.1", 0);
  const operator = { headers: { authorization: `Bearer ${api.operatorToken}` } };
  const siteNode = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  // Admit the site's peer before it dials (its root URL exists only once its store is open).
  cloud.registry.register(siteNode.peerId.toString(), "site", "live-site");
  const site = await SimulatedSite.create({
    siteId: "live-site",
    dataDir: join(dir, "site"),
    stalls: 3,
    vehicles: 0,
    seed: 5,
    offline: false,
    startMs: Date.UTC(2026, 5, 1, 9),
    windowMs: 3_600_000,
    log: pino({ level: "silent" }),
    sync: { node: siteNode, dial: [cloud.node.getMultiaddrs()[0]!.toString()], liveIntervalMs: 2_000 },
  });
  try {
    cloud.registerSite("live-site", siteNode.peerId.toString(), site.controller.site.root.url);
    const received: LiveTelemetry[] = [];
    cloud.live.subscribe("live-site", (m) => void received.push(m));
    // Ephemeral messages reach only peers already syncing the root: wait until the cloud is one.
    await until(
      () =>
        cloud.syncState()[0]!.connected &&
        cloud.repo.handles[site.controller.site.root.documentId]?.isReady() === true,
      20_000,
    );

    for (const i of [0, 1]) {
      const c = site.contracts[i]!;
      site.stalls[i]!.plug(
        new SimVehicle(
          { capacityWh: 60_000, socPermille: 200, targetPermille: 900, maxPowerW: 100_000 },
          c.secureElement,
          c.chain,
        ),
      );
    }
    const t0 = site.clock.now();
    await site.advance(60_000);
    // Published from the control loop on the site's (virtual) clock, every 2 s of it.
    await until(() => received.length >= 25 && received.at(-1)!.siteTimeMs >= t0 + 56_000, 20_000);
    const periodic = received.filter((m) => m.siteTimeMs > t0);
    expect(periodic.length).toBeGreaterThanOrEqual(25);
    expect(periodic.length).toBeLessThanOrEqual(31);
    for (let k = 1; k < periodic.length; k++)
      expect(periodic[k]!.siteTimeMs - periodic[k - 1]!.siteTimeMs).toBeGreaterThanOrEqual(1_000);
    expect(periodic.at(-1)!.siteTimeMs).toBeLessThanOrEqual(site.clock.now());

    // The figures the cloud holds are the site's own at that instant.
    const sent = site.controller.live!.publishNow()!;
    const views = site.controller.orchestrator.stallViews();
    await until(() => cloud.live.latest("live-site")?.seq === sent.seq, 10_000);
    const held = cloud.live.latest("live-site")!;
    expect(held).toMatchObject({ siteId: "live-site", siteTimeMs: site.clock.now(), live: true });
    expect(held.stalls.map((s) => [s.stallId, s.phase, s.sessionId, s.powerW])).toEqual(
      views.map((v) => [v.stallId, v.phase, v.sessionId, v.powerW]),
    );
    const charging = held.stalls.filter((s) => s.phase === "charging");
    expect(charging).toHaveLength(2);
    for (const s of charging) {
      expect(s.powerW).toBeGreaterThan(5_000);
      expect(s.grantedW).toBeGreaterThanOrEqual(s.powerW);
      const entry = site.controller.journal.get(s.sessionId as never)!;
      const view = views.find((v) => v.stallId === s.stallId)!;
      expect(s.sessionEnergyWh).toBe(view.registerWh - entry.begin!.registerWh);
      expect(s.sessionEnergyWh).toBeGreaterThan(0);
    }
    expect(held.stalls.find((s) => s.stallId === "stall-3")).toMatchObject({
      phase: "available",
      sessionId: null,
      powerW: 0,
      sessionEnergyWh: 0,
    });
    const viaHttp = (await (await fetch(`${api.url}/api/sites/live-site/live`, operator)).json()) as {
      live: { seq: number; stalls: unknown[] };
    };
    expect(viaHttp.live.seq).toBe(sent.seq);
    expect(viaHttp.live.stalls).toEqual(held.stalls);
    expect((await fetch(`${api.url}/api/sites/nowhere/live`, operator)).status).toBe(404);

    // Malformed messages and one claiming another site come on the real link; all are dropped.
    const root = site.controller.site.root;
    root.broadcast({ ...sent, seq: sent.seq + 1, stalls: [{ ...sent.stalls[0]!, powerW: 1.5 }] });
    root.broadcast("not telemetry");
    root.broadcast({ ...sent, seq: sent.seq + 2, siteId: "other-site" });
    await until(
      () => cloud.live.stats().rejected.malformed === 2 && cloud.live.stats().rejected.wrong_site === 1,
      10_000,
    );
    // A message on this site's root from a peer other than the site's.
    expect(
      cloud.live.receive("live-site", "12D3KooWStrangerStrangerStrangerStrangerStran", {
        ...sent,
        seq: sent.seq + 3,
      }),
    ).toEqual({ ok: false, error: "wrong_sender" });
    expect(cloud.live.stats().rejected).toMatchObject({ malformed: 2, wrong_site: 1, wrong_sender: 1 });
    expect(cloud.live.latest("live-site")!.seq).toBe(sent.seq);
    expect(cloud.live.latest("live-site")!.stalls).toEqual(held.stalls);
    const metrics = await (await fetch(`${api.url}/metrics`, operator)).text();
    expect(metrics).toContain('chargemesh_cloud_live_rejected_total{reason="malformed"} 2');
    expect(metrics).toContain('chargemesh_cloud_live_rejected_total{reason="wrong_site"} 1');
    expect(metrics).toMatch(/chargemesh_cloud_live_sites 1\b/);
    expect(metrics).toContain(`chargemesh_cloud_live_messages_total ${cloud.live.stats().received}`);

    // Still live: the site keeps publishing after the bad messages.
    const before = cloud.live.stats().received;
    await site.advance(6_000);
    await until(() => cloud.live.stats().received >= before + 2, 10_000);
  } finally {
    await site.stop();
    await siteNode.stop();
    await api.close();
    await cloud.stop();
  }
}, 120_000);

test("a cloud peer does not relay a site's live telemetry to the cloud peer of another region (whose adapter would reset the link)", async () => {
  const refusedAtB: string[] = [];
  const keyA = await generateKeyPair("Ed25519");
  const b = await CloudPeer.start({
    dataDir: join(dir, "relay-b"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    onRefused: (_p, why) => refusedAtB.push(why),
  });
  const { peerIdFromPrivateKey } = await import("@libp2p/peer-id");
  b.registerCloudPeer("region-a", peerIdFromPrivateKey(keyA).toString());
  const a = await CloudPeer.start({
    dataDir: join(dir, "relay-a"),
    privateKey: keyA,
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    peers: [b.node.getMultiaddrs()[0]!.toString()],
  });
  a.registerCloudPeer("region-b", b.node.peerId.toString());
  const siteNode = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  a.registry.register(siteNode.peerId.toString(), "site", "relay-site");
  const site = await SimulatedSite.create({
    siteId: "relay-site",
    dataDir: join(dir, "relay-site"),
    stalls: 1,
    vehicles: 0,
    seed: 6,
    offline: false,
    startMs: Date.UTC(2026, 5, 1, 9),
    windowMs: 3_600_000,
    log: pino({ level: "silent" }),
    sync: { node: siteNode, dial: [a.node.getMultiaddrs()[0]!.toString()], liveIntervalMs: 1_000 },
  });
  try {
    a.registerSite("relay-site", siteNode.peerId.toString(), site.controller.site.root.url);
    b.registerSite("relay-site", siteNode.peerId.toString(), site.controller.site.root.url);
    const rootId = site.controller.site.root.documentId;
    // Region B holds the site's root through region A (documents do flow between regions).
    await until(() => a.syncState()[0]!.connected && b.repo.handles[rootId]?.isReady() === true, 20_000);
    await site.advance(20_000);
    await until(() => a.live.stats().received >= 15, 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(refusedAtB).toEqual([]);
    expect(b.live.stats().received).toBe(0);
    expect(b.repo.peers).toContain(a.node.peerId.toString());
  } finally {
    await site.stop();
    await siteNode.stop();
    await a.stop();
    await b.stop();
  }
}, 60_000);
