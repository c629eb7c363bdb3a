import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import type { SiteRoot } from "@chargemesh/shared-model";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { until } from "../../testing/until.js";
import { provisionSite } from "../src/pkiProvisioning.js";

const dir = mkdtempSync(join(tmpdir(), "cm-daemon-sync-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts the real edge-node daemon; resolves with the process and its "edge-node running" log line. */
async function startDaemon(
  config: string,
): Promise<{ daemon: ChildProcessWithoutNullStreams; running: { peerId: string; rootUrl: string } }> {
  const daemon = spawn(
    process.execPath,
    ["--import", "tsx", "edge-node/src/cli/edgeNode.ts", "--config", config],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const running = await new Promise<{ peerId: string; rootUrl: string }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${out}`)), 30_000);
    daemon.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.includes('"msg":"edge-node running"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { peerId: string; rootUrl: string });
      }
    });
  });
  return { daemon, running };
}

test("the edge-node daemon with a sync section dials its cloud peer, syncs its documents and live figures, and keeps its identity across restarts", async () => {
  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    acknowledgeEveryMs: 0,
  });
  const config = join(dir, "site.json");
  const { siteKeysFile } = await provisionSite(dir, "daemon-sync-site");
  writeFileSync(
    config,
    JSON.stringify({
      siteId: "daemon-sync-site",
      dataDir: join(dir, "store"),
      gridLimitW: 100_000,
      keys: { siteKeysFile },
      stalls: [
        { id: "s1", meterId: "m1", maxW: 50_000 },
        { id: "s2", meterId: "m2", maxW: 50_000 },
      ],
      sync: {
        cloudPeers: [cloud.node.getMultiaddrs()[0]!.toString()],
        configUrl: cloud.configs.urlOf("daemon-sync-site"),
        liveIntervalMs: 1_000,
      },
    }),
  );
  let { daemon, running } = await startDaemon(config);
  try {
    expect(running.rootUrl).toMatch(/^automerge:/);
    // Provisioning: the registry admits the site by the peer ID and root URL the daemon logged.
    cloud.registerSite("daemon-sync-site", running.peerId, running.rootUrl);
    await until("the cloud holds the site's documents", () => {
      const s = cloud.syncState()[0]!;
      return (
        s.connected &&
        s.documentsBehind === 0 &&
        (cloud.currentDoc(running.rootUrl) as SiteRoot | null)?.siteId === "daemon-sync-site"
      );
    });
    const root = cloud.currentDoc(running.rootUrl) as SiteRoot;
    expect(Object.keys(root.meterCertificates).sort()).toEqual(["m1", "m2"]);
    await until(
      "live figures arrive",
      () => (cloud.live.latest("daemon-sync-site")?.stalls.length ?? 0) === 2,
    );
    expect(cloud.writeGuard.flaggedPeers()).toEqual([]);
    daemon.kill("SIGTERM");
    expect(await new Promise((r) => daemon.once("exit", r))).toBe(0);

    // Restarted, the daemon is the same peer with the same root, and the cloud takes its new boot records.
    const bootsBefore = Object.keys(root.segments).length;
    ({ daemon, running: running } = await startDaemon(config));
    expect(running.peerId).toBe(cloud.syncState()[0]!.peerId);
    await until(
      "the restarted site syncs again",
      () => cloud.syncState()[0]!.connected && cloud.syncState()[0]!.documentsBehind === 0,
    );
    expect(
      Object.keys((cloud.currentDoc(running.rootUrl) as SiteRoot).segments).length,
    ).toBeGreaterThanOrEqual(bootsBefore);
    daemon.kill("SIGTERM");
    expect(await new Promise((r) => daemon.once("exit", r))).toBe(0);
  } finally {
    daemon.kill("SIGKILL");
    await cloud.stop();
  }
}, 120_000);
