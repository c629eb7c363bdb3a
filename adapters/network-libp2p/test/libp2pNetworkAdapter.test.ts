import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { Repo } from "@automerge/automerge-repo";
import type { PeerId } from "@automerge/automerge-repo";
import { runNetworkAdapterTests } from "@automerge/automerge-repo/helpers/tests/network-adapter-tests.js";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "libp2p";
import { SqliteStorageAdapter } from "@chargemesh/automerge-storage-sqlite";
import { Libp2pNetworkAdapter, SYNC_PROTOCOL } from "../src/libp2pNetworkAdapter.js";
import type { LinkEvent } from "../src/libp2pNetworkAdapter.js";
import { createSyncNode } from "../src/syncNode.js";
import { PeerRegistry, registeredPeersGater } from "../src/peerAdmission.js";
import { encodeFrame } from "../src/frameCodec.js";
import { multiaddr } from "@multiformats/multiaddr";

const nodes: Libp2p[] = [];
const dir = mkdtempSync(join(tmpdir(), "cm-p2p-"));
afterAll(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function node(opts: Partial<Parameters<typeof createSyncNode>[0]> = {}) {
  const n = await createSyncNode({
    privateKey: opts.privateKey ?? (await generateKeyPair("Ed25519")),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    ...opts,
  });
  nodes.push(n);
  return n;
}
const addr = (n: Libp2p) => n.getMultiaddrs()[0]!.toString();
const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

runNetworkAdapterTests(async () => {
  const [a, b, c] = [await node(), await node(), await node()];
  const adapters: [Libp2pNetworkAdapter, Libp2pNetworkAdapter, Libp2pNetworkAdapter] = [
    new Libp2pNetworkAdapter({ node: a, dial: [addr(b), addr(c)], peerIdPolicy: "declared" }),
    new Libp2pNetworkAdapter({ node: b, dial: [addr(c)], peerIdPolicy: "declared" }),
    new Libp2pNetworkAdapter({ node: c, peerIdPolicy: "declared" }),
  ];
  return { adapters, teardown: () => adapters.forEach((x) => x.disconnect()) };
}, "Libp2pNetworkAdapter over TCP + Noise + yamux");

describe("Libp2pNetworkAdapter: identity, limits, reconnects", () => {
  const repos: Repo[] = [];
  afterEach(async () => {
    for (const r of repos.splice(0)) await r.shutdown();
  });

  test("two repos sync over TCP with automerge IDs equal to the authenticated libp2p IDs; SQLite storage persists", async () => {
    const [cloud, site] = [await node(), await node({ listen: [] })];
    const cloudRepo = new Repo({
      network: [new Libp2pNetworkAdapter({ node: cloud })],
      peerId: cloud.peerId.toString() as PeerId,
      storage: new SqliteStorageAdapter(join(dir, "cloud.sqlite")),
    });
    const siteRepo = new Repo({
      network: [new Libp2pNetworkAdapter({ node: site, dial: [addr(cloud)] })],
      peerId: site.peerId.toString() as PeerId,
    });
    repos.push(cloudRepo, siteRepo);
    await until(() => cloudRepo.peers.includes(site.peerId.toString() as PeerId));
    const h = siteRepo.create<{ kWh: number }>({ kWh: 1 });
    const seen = await cloudRepo.find<{ kWh: number }>(h.url);
    expect(seen.doc().kWh).toBe(1);
    h.change((d) => void (d.kWh = 42));
    await until(() => seen.doc().kWh === 42);
    expect(() => new Libp2pNetworkAdapter({ node: site }).connect("not-my-id" as PeerId)).toThrow(
      /must equal/,
    );
  });

  test("a frame claiming another sender resets the stream, is not applied, and disconnects the peer", async () => {
    const [victim, attacker] = [await node(), await node()];
    const violations: string[] = [];
    const adapter = new Libp2pNetworkAdapter({
      node: victim,
      onViolation: (p, why) => violations.push(`${p}: ${why}`),
    });
    const received: unknown[] = [];
    adapter.on("message", (m) => received.push(m));
    adapter.connect(victim.peerId.toString() as PeerId);
    const stream = await attacker.dialProtocol(multiaddr(addr(victim)), SYNC_PROTOCOL);
    stream.send(encodeFrame({ type: "join", senderId: attacker.peerId.toString(), peerMetadata: {} }));
    stream.send(
      encodeFrame({
        type: "sync",
        senderId: "12D3KooWSomeoneElseEntirely",
        targetId: victim.peerId.toString(),
        documentId: "x",
        data: new Uint8Array(1),
      }),
    );
    await until(() => violations.length > 0);
    expect(violations[0]).toContain("claims sender");
    expect(received).toEqual([]);
    await until(() => stream.status !== "open");
    await until(() =>
      victim.getConnections().every((c) => c.remotePeer.toString() !== attacker.peerId.toString()),
    );
    // Declaring someone else's ID in the join is refused too.
    const s2 = await attacker.dialProtocol(multiaddr(addr(victim)), SYNC_PROTOCOL);
    s2.send(encodeFrame({ type: "join", senderId: victim.peerId.toString(), peerMetadata: {} }));
    await until(() => violations.length > 1);
    expect(violations[1]).toContain("not the authenticated");
    adapter.disconnect();
  });

  test("an oversize frame is refused before it is buffered", async () => {
    const [victim, attacker] = [await node(), await node()];
    const violations: string[] = [];
    const adapter = new Libp2pNetworkAdapter({
      node: victim,
      maxFrameBytes: 1024,
      onViolation: (_p, why) => violations.push(why),
    });
    adapter.connect(victim.peerId.toString() as PeerId);
    const stream = await attacker.dialProtocol(multiaddr(addr(victim)), SYNC_PROTOCOL);
    const header = new Uint8Array(4);
    new DataView(header.buffer).setUint32(0, 50_000_000);
    stream.send(header);
    await until(() => violations.length > 0);
    expect(violations[0]).toMatch(/exceeds the 1024-byte cap/);
    await until(() =>
      victim.getConnections().every((c) => c.remotePeer.toString() !== attacker.peerId.toString()),
    );
    adapter.disconnect();
  });

  test("the connection gater admits registered peers only, after the Noise handshake", async () => {
    const registry = new PeerRegistry();
    const refused: string[] = [];
    const cloud = await node({ connectionGater: registeredPeersGater(registry, (p) => refused.push(p)) });
    const [known, stranger] = [await node({ listen: [] }), await node({ listen: [] })];
    registry.register(known.peerId.toString(), "site", "site-1");
    await known.dial(multiaddr(addr(cloud)));
    await until(() => cloud.getConnections(known.peerId).length > 0);
    await stranger.dial(multiaddr(addr(cloud))).catch(() => undefined);
    await until(() => refused.includes(stranger.peerId.toString()));
    await new Promise((r) => setTimeout(r, 100));
    expect(cloud.getConnections(stranger.peerId)).toHaveLength(0);
  });

  test("a site resumes syncing after its cloud peer restarts with the same identity, and reports its link going and coming back", async () => {
    const key = await generateKeyPair("Ed25519");
    let cloud = await node({ privateKey: key });
    const port = addr(cloud);
    const site = await node({ listen: [] });
    const cloudStore = join(dir, "restart.sqlite");
    let cloudRepo = new Repo({
      network: [new Libp2pNetworkAdapter({ node: cloud })],
      peerId: cloud.peerId.toString() as PeerId,
      storage: new SqliteStorageAdapter(cloudStore),
    });
    const links: LinkEvent[] = [];
    const siteRepo = new Repo({
      network: [
        new Libp2pNetworkAdapter({ node: site, dial: [port], redialMs: 100, onLink: (e) => links.push(e) }),
      ],
      peerId: site.peerId.toString() as PeerId,
    });
    repos.push(siteRepo);
    await until(() => cloudRepo.peers.length > 0);
    const cloudId = cloud.peerId.toString();
    expect(links).toEqual([{ type: "up", remote: cloudId }]);
    const h = siteRepo.create<{ n: number }>({ n: 1 });
    expect((await cloudRepo.find<{ n: number }>(h.url)).doc().n).toBe(1);
    await cloudRepo.flush();
    await cloudRepo.shutdown();
    await cloud.stop();
    h.change((d) => void (d.n = 2));
    cloud = await createSyncNode({ privateKey: key, listen: [port.split("/p2p/")[0]!] });
    nodes.push(cloud);
    cloudRepo = new Repo({
      network: [new Libp2pNetworkAdapter({ node: cloud })],
      peerId: cloud.peerId.toString() as PeerId,
      storage: new SqliteStorageAdapter(cloudStore),
    });
    repos.push(cloudRepo);
    await until(() => cloudRepo.peers.length > 0, 10_000);
    const again = await cloudRepo.find<{ n: number }>(h.url);
    await until(() => again.doc().n === 2, 10_000);
    // Up, lost (with the stream's reason), any failed dials while the cloud was away, up again.
    expect(links[0]).toEqual({ type: "up", remote: cloudId });
    expect(links[1]).toMatchObject({ type: "lost", remote: cloudId, reason: expect.any(String) });
    expect(links.at(-1)).toEqual({ type: "up", remote: cloudId });
    expect(links.slice(2, -1).every((e) => e.type === "dial_failed" && e.reason.length > 0)).toBe(true);
  });

  test("failover: a site keeps one link, to its home region while it answers, to the other region while home is gone, and returns home", async () => {
    const homeKey = await generateKeyPair("Ed25519");
    let home = await node({ privateKey: homeKey });
    const homeAddr = addr(home);
    const other = await node();
    const site = await node({ listen: [] });
    const homeStore = join(dir, "failover-home.sqlite");
    const cloudRepo = (n: Libp2p, storage?: SqliteStorageAdapter) =>
      new Repo({
        network: [new Libp2pNetworkAdapter({ node: n })],
        peerId: n.peerId.toString() as PeerId,
        ...(storage ? { storage } : {}),
      });
    let homeRepo = cloudRepo(home, new SqliteStorageAdapter(homeStore));
    const otherRepo = cloudRepo(other);
    const siteRepo = new Repo({
      network: [
        new Libp2pNetworkAdapter({
          node: site,
          dial: [homeAddr, addr(other)],
          dialMode: "failover",
          redialMs: 100,
          homeProbeMs: 300,
        }),
      ],
      peerId: site.peerId.toString() as PeerId,
    });
    repos.push(siteRepo, otherRepo);
    const sitePeer = site.peerId.toString() as PeerId;
    await until(() => homeRepo.peers.includes(sitePeer));
    const h = siteRepo.create<{ n: number }>({ n: 1 });
    expect((await homeRepo.find<{ n: number }>(h.url)).doc().n).toBe(1);
    // One link only: the other region never hears from the site while home answers.
    await new Promise((r) => setTimeout(r, 500));
    expect(otherRepo.peers).not.toContain(sitePeer);

    // Home is gone: the site fails over to the other region, which receives what the site writes next.
    await homeRepo.flush();
    await homeRepo.shutdown();
    await home.stop();
    h.change((d) => void (d.n = 2));
    await until(() => otherRepo.peers.includes(sitePeer), 10_000);
    const atOther = await otherRepo.find<{ n: number }>(h.url);
    await until(() => atOther.doc().n === 2, 10_000);

    // Home returns with the same identity: the site goes back and lets the fallback go.
    home = await createSyncNode({ privateKey: homeKey, listen: [homeAddr.split("/p2p/")[0]!] });
    nodes.push(home);
    homeRepo = cloudRepo(home, new SqliteStorageAdapter(homeStore));
    repos.push(homeRepo);
    await until(() => homeRepo.peers.includes(sitePeer), 10_000);
    await until(() => !otherRepo.peers.includes(sitePeer), 10_000);
    h.change((d) => void (d.n = 3));
    const atHome = await homeRepo.find<{ n: number }>(h.url);
    await until(() => atHome.doc().n === 3, 10_000);
  });
});
