import { mkdtempSync, rmSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import * as A from "@automerge/automerge";
import type { AutomergeUrl, DocHandle, PeerId } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import type { Libp2p } from "libp2p";
import { siteId, systemClock } from "@chargemesh/shared-model";
import { writeAs, writerActorId } from "@chargemesh/shared-model";
import type { ConfigDocument, DayJournal } from "@chargemesh/shared-model";
import { Libp2pNetworkAdapter, SYNC_PROTOCOL, createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { encodeFrame } from "@chargemesh/automerge-network-libp2p";
import { multiaddr } from "@multiformats/multiaddr";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SiteRepo } from "@chargemesh/edge-node";
import { siteWriteGuard } from "@chargemesh/edge-node";
import { until } from "../../testing/until.js";
import { messageCarryingChanges } from "../../testing/syncMessages.js";

const dir = mkdtempSync(join(tmpdir(), "cm-writers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const heads = (h: DocHandle<unknown>) =>
  A.getHeads(h.doc() as A.Doc<unknown>)
    .sort()
    .join();
const DAY = "2026-06-01";

test("each side writes only its own documents: the receiver drops the other side's changes, flags the peer, and leaves them out of its views", async () => {
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
  });
  const cloudAddr = cloud.node.getMultiaddrs()[0]!.toString();
  const cloudPeerId = cloud.node.peerId.toString();
  const nodes: Libp2p[] = [];
  let site: SiteRepo | null = null;
  try {
    // Site 1, with the write guard every site controller runs.
    const node1 = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
    nodes.push(node1);
    let siteRef: SiteRepo | null = null;
    const guard = siteWriteGuard({
      siteId: "site-1",
      cloudPeers: [cloudAddr],
      isOwnDocument: (id) => siteRef?.isOwnDocument(id) ?? false,
      current: (id) => siteRef?.currentDoc(id) ?? null,
      clock: systemClock,
    });
    site = siteRef = await SiteRepo.open(
      siteId("site-1"),
      join(dir, "site-1"),
      [
        new Libp2pNetworkAdapter({
          node: node1,
          dial: [cloudAddr],
          redialMs: 100,
          inboundFilter: guard.check,
        }),
      ],
      node1.peerId.toString() as PeerId,
    );
    const node2 = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
    nodes.push(node2);
    cloud.registerSite("site-1", node1.peerId.toString(), site.root.url);
    cloud.registerSite("site-2", node2.peerId.toString(), "automerge:4x4x4x4x4x4x4x4x4x4x4x4x4x4x4");
    const journal = await site.findOrCreate<DayJournal>("journals", DAY, () => ({
      schemaVersion: 1,
      siteId: siteId("site-1"),
      day: DAY,
      sessions: {},
      technicianActions: [],
    }));
    journal.change((d) => {
      d.sessions["site-1-s1"] = {
        sessionId: "site-1-s1",
        stallId: "stall-1",
        meterId: "meter-1",
        contractId: null,
        startedAtMs: 1,
        state: "charging",
        authorization: { accepted: true, reason: "Accepted" },
      } as never;
    });
    await until(
      "the cloud holds the site's documents",
      () => cloud.syncState()[0]!.documentsBehind === 0 && !!cloud.currentDoc(journal.documentId),
    );
    const atCloud = await cloud.repo.find<DayJournal>(journal.url);
    await until("the cloud's journal has the site's heads", () => heads(atCloud) === heads(journal));
    expect(cloud.writeGuard.flaggedPeers()).toEqual([]);

    // (a) Site 2 learns the journal's ID and bytes, writes into it under site 1's writer tag, and pushes
    // the change to the cloud unasked (a rogue peer does not wait for the protocol to ask).
    let forged = A.clone(atCloud.doc(), {
      actor: writerActorId({ side: "site", siteId: "site-1" }, randomBytes),
    });
    forged = A.change(forged, (d) => {
      d.sessions["site-1-s1"]!.state = "completed";
    });
    const stream = await node2.dialProtocol(multiaddr(cloudAddr), SYNC_PROTOCOL);
    stream.send(encodeFrame({ type: "join", senderId: node2.peerId.toString(), peerMetadata: {} }));
    stream.send(
      encodeFrame({
        type: "sync",
        senderId: node2.peerId.toString(),
        targetId: cloudPeerId,
        documentId: journal.documentId,
        data: messageCarryingChanges(forged, atCloud.doc()),
      }),
    );
    await until("the cloud flagged site 2", () =>
      cloud.writeGuard.flaggedPeers().some((p) => p.peerId === node2.peerId.toString()),
    );
    expect(cloud.writeGuard.flaggedPeers()[0]!.lastReason).toMatch(
      /1 change\(s\) by site site-1, who may not write this document/,
    );
    expect(atCloud.doc().sessions["site-1-s1"]!.state).toBe("charging");
    expect(heads(atCloud)).toBe(heads(journal));

    // Site 2 broadcasts on site 1's root: dropped at the cloud, which would otherwise pass it on to site 1.
    stream.send(
      encodeFrame({
        type: "ephemeral",
        senderId: node2.peerId.toString(),
        targetId: cloudPeerId,
        documentId: site.root.documentId,
        sessionId: "rogue",
        count: 1,
        data: new Uint8Array([0xa0]),
      }),
    );
    await until(
      "the cloud flagged site 2's broadcast",
      () => cloud.writeGuard.flaggedPeers()[0]!.violations === 2,
    );
    expect(cloud.writeGuard.flaggedPeers()[0]!.lastReason).toMatch(
      /site site-2 broadcast on a document that is not its own/,
    );

    // (b) Site 1 writes into its config document, which only the cloud writes.
    const configUrl = cloud.configs.publish(
      "site-1",
      (d) => void (d.offlinePolicy.unknownContractMaxSessionsPerDay = 3),
    );
    const configAtSite = await site.repo.find<ConfigDocument>(configUrl as AutomergeUrl);
    expect(configAtSite.doc().version).toBe(1);
    writeAs(configAtSite, { side: "site", siteId: "site-1" }, randomBytes);
    configAtSite.change((d) => void (d.offlinePolicy.unknownContractMaxSessionsPerDay = 99));
    await until("the cloud flagged site 1", () =>
      cloud.writeGuard.flaggedPeers().some((p) => p.peerId === node1.peerId.toString()),
    );
    const configAtCloud = await cloud.repo.find<ConfigDocument>(configUrl as AutomergeUrl);
    expect(configAtCloud.doc().offlinePolicy.unknownContractMaxSessionsPerDay).toBe(3);
    expect(
      cloud.writeGuard.flaggedPeers().find((p) => p.peerId === node1.peerId.toString())!.lastReason,
    ).toMatch(/site site-1, who may not write/);

    // (c) The cloud writes into the site's journal: the site drops it and flags the cloud; the cloud's
    // own view of the site leaves the change out.
    writeAs(atCloud, { side: "cloud", peerId: cloudPeerId }, randomBytes);
    atCloud.change((d) => {
      d.sessions["site-1-s1"]!.state = "failed";
    });
    await until("the site flagged the cloud", () =>
      guard.flaggedPeers().some((p) => p.peerId === cloudPeerId),
    );
    expect(guard.flaggedPeers()[0]!.lastReason).toMatch(
      new RegExp(`cloud peer ${cloudPeerId}, who may not write`),
    );
    expect(journal.doc().sessions["site-1-s1"]!.state).toBe("charging");
    const view = await cloud.siteView("site-1");
    const journalView = view.documents.find((d) => d.url === journal.url)!;
    expect(journalView.foreign).toHaveLength(1);
    expect(journalView.foreign[0]!.writer).toEqual({ side: "cloud", peerId: cloudPeerId });
    expect((journalView.doc as DayJournal).sessions["site-1-s1"]!.state).toBe("charging");
    // The site goes on writing its own facts; the cloud still takes those.
    journal.change((d) => {
      d.sessions["site-1-s1"]!.state = "completed";
    });
    await until("the cloud took the site's own later change", () =>
      A.getHeads(journal.doc()).every(
        (h) =>
          A.getHeads(atCloud.doc()).includes(h) ||
          A.getAllChanges(atCloud.doc()).some((c) => A.decodeChange(c).hash === h),
      ),
    );
  } finally {
    await site?.close();
    for (const n of nodes) await n.stop();
    await cloud.stop();
  }
}, 90_000);
