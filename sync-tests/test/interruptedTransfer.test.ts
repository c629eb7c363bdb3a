import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import pino from "pino";
import * as A from "@automerge/automerge";
import type { AutomergeUrl } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SimulatedSite } from "@chargemesh/simulation";
import { TcpProxy } from "../../testing/tcpProxy.js";

const dir = mkdtempSync(join(tmpdir(), "cm-interrupt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a site back from hours offline whose first transfer is cut midway still converges, and the cloud holds every record once", async () => {
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
  });
  const port = Number(cloud.node.getMultiaddrs()[0]!.toString().split("/tcp/")[1]!.split("/")[0]);
  const proxy = await TcpProxy.start("127.0.0.1", () => port);
  proxy.cut();
  const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const site = await SimulatedSite.create({
    siteId: "interrupted",
    dataDir: join(dir, "site"),
    stalls: 8,
    vehicles: 60,
    seed: 21,
    offline: true,
    startMs: Date.UTC(2026, 5, 1, 4),
    windowMs: 10 * 3_600_000,
    log: pino({ level: "silent" }),
    sync: { node, dial: [`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${cloud.node.peerId.toString()}`] },
  });
  try {
    cloud.registerSite("interrupted", node.peerId.toString(), site.controller.site.root.url);
    await site.run();
    const urls = site.controller.site.documentUrls();
    let records = 0;
    let rawRecordBytes = 0;
    for (const m of site.controller.ledgerStore.meters())
      for (const r of site.controller.ledgerStore.records(m)) {
        records++;
        rawRecordBytes += r.length;
      }
    // Reconnect, and cut the link again about halfway through (a whole transfer costs ~0.8x the raw records).
    proxy.cutAtBytes = Math.floor(rawRecordBytes * 0.4);
    proxy.restore();
    const end = Date.now() + 30_000;
    while (!proxy.isCut && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(proxy.isCut, "the transfer was interrupted").toBe(true);
    const atCut = proxy.bytes;
    await new Promise((r) => setTimeout(r, 500));
    proxy.restore();
    const converged = async () => {
      for (const url of urls) {
        const local = A.getHeads((await site.controller.site.repo.find(url)).doc() as A.Doc<unknown>)
          .sort()
          .join();
        const remote = await cloud.repo.find(url).catch(() => null);
        if (
          !remote ||
          A.getHeads(remote.doc() as A.Doc<unknown>)
            .sort()
            .join() !== local
        )
          return false;
      }
      return true;
    };
    const until = Date.now() + 60_000;
    while (!(await converged())) {
      if (Date.now() > until) throw new Error("did not converge after the interruption");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(proxy.bytes).toBeGreaterThan(atCut);
    const afterCut = proxy.bytes - atCut;
    console.log(
      `interrupted transfer: ${atCut} bytes before the cut, ${afterCut} after, raw records ${rawRecordBytes}`,
    );
    const { root: cloudRoot } = await cloud.siteDocuments("interrupted");
    let held = 0;
    for (const url of Object.values(cloudRoot.doc().segments))
      held += Object.keys(
        (await cloud.repo.find<{ records: Record<string, Uint8Array> }>(url as AutomergeUrl)).doc().records,
      ).length;
    expect(held).toBe(records);
  } finally {
    await site.stop();
    await node.stop();
    await proxy.close();
    await cloud.stop();
  }
}, 120_000);
