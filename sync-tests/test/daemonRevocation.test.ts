import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { systemClock } from "@chargemesh/shared-model";
import { CONTRACT_KEY_LABEL, SimSecureElement } from "@chargemesh/hal";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { until } from "../../testing/until.js";
import { pki, provisionSite } from "../src/pkiProvisioning.js";

const dir = mkdtempSync(join(tmpdir(), "cm-daemon-revocation-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The daemon's JSON log lines so far, and a way to wait for one. */
function logLines(daemon: ChildProcessWithoutNullStreams): { lines: Record<string, unknown>[] } {
  const seen = { lines: [] as Record<string, unknown>[] };
  let buffer = "";
  daemon.stdout.on("data", (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const p of parts) {
      try {
        seen.lines.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  return seen;
}

test("the real daemon authorizes a contract by its certificate against the cloud's config document, and refuses it once the cloud publishes its revocation", async () => {
  const siteId = "revocation-site";
  const { pkiDir, siteKeysFile } = await provisionSite(dir, siteId);
  // The car: its contract key in its own secure element, the leaf issued by the MO sub-CA over that key.
  const carSe = join(dir, "car-se.json");
  const key = await new SimSecureElement(carSe).generateKey(CONTRACT_KEY_LABEL, "ecdsa-p256");
  writeFileSync(join(dir, "car.spki"), key.publicKey);
  const leaf = join(dir, "contract.der");
  await pki([
    "contract",
    "--dir",
    pkiDir,
    "--emaid",
    "DE-CMS-C00000042-2",
    "--spki",
    join(dir, "car.spki"),
    "--out",
    leaf,
  ]);
  await pki(["anchors", "--dir", pkiDir, "--out", join(dir, "root.der")]);
  const crl = async (file: string) => {
    await pki(["crl", "--dir", pkiDir, "--out", file, "--hours", "24"]);
    const now = Date.now();
    return {
      signed: new Uint8Array(readFileSync(file)),
      issuedAtMs: now,
      nextUpdateMs: now + 24 * 3_600_000,
    };
  };

  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
    acknowledgeEveryMs: 0,
  });
  const firstList = await crl(join(dir, "crl-1.bin"));
  const configUrl = cloud.configs.publish(siteId, (d) => {
    d.trustAnchors = [new Uint8Array(readFileSync(join(dir, "root.der")))];
    d.revocationList = firstList;
    d.accountStanding["DE-CMS-C00000042-2"] = { standing: "good", version: 1 };
  });
  const config = join(dir, "site.json");
  writeFileSync(
    config,
    JSON.stringify({
      siteId,
      dataDir: join(dir, "store"),
      gridLimitW: 100_000,
      keys: { siteKeysFile },
      stalls: [{ id: "s1", meterId: "m1", maxW: 50_000 }],
      sync: { cloudPeers: [cloud.node.getMultiaddrs()[0]!.toString()], configUrl, liveIntervalMs: 1_000 },
    }),
  );
  const daemon = spawn(
    process.execPath,
    ["--import", "tsx", "edge-node/src/cli/edgeNode.ts", "--config", config, "--lab-vehicles-stdin"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const log = logLines(daemon);
  const plug = () =>
    daemon.stdin.write(
      JSON.stringify({ op: "plug", stall: "s1", chainFile: `${leaf}.chain`, secureElementFile: carSe }) +
        "\n",
    );
  const unplug = () => daemon.stdin.write(JSON.stringify({ op: "unplug", stall: "s1" }) + "\n");
  const messages = (msg: string) => log.lines.filter((l) => l.msg === msg);
  try {
    await until("the daemon runs", () => messages("edge-node running").length === 1, 60_000);
    const running = messages("edge-node running")[0] as { peerId: string; rootUrl: string };
    cloud.registerSite(siteId, running.peerId, running.rootUrl);
    await until("the site is connected", () => cloud.syncState()[0]?.connected === true, 60_000);

    /** Plugs the car until the site decides `want` (each attempt reads the config version the site holds then), unplugging after each decision. */
    const attemptUntil = async (
      want: (l: Record<string, unknown>) => boolean,
    ): Promise<Record<string, unknown>> => {
      for (let attempt = 0; attempt < 60; attempt++) {
        const decided = () => [...messages("session started"), ...messages("session rejected")];
        const seen = decided().length;
        plug();
        await until("the site decides", () => decided().length > seen, 60_000);
        const decision = decided()
          .sort((a, b) => (a.time as number) - (b.time as number))
          .at(-1)!;
        const unplugged = messages("lab vehicle unplugged").length;
        const completed = messages("session completed").length;
        unplug();
        await until(
          "the car is unplugged",
          () => messages("lab vehicle unplugged").length > unplugged,
          60_000,
        );
        // A session that started ends before the stall takes the next car.
        if (decision.msg === "session started")
          await until(
            "the session completes",
            () => messages("session completed").length > completed,
            60_000,
          );
        if (want(decision)) return decision;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error("the site never decided as expected");
    };

    // Until the config document arrives the site holds no trust anchor and refuses (fail closed); then it authorizes.
    const accepted = await attemptUntil((l) => l.msg === "session started");
    expect(accepted).toMatchObject({ contract: "DE-CMS-C00000042-2" });
    const refusedBefore = messages("session rejected").map((l) => l.reason);
    expect(refusedBefore.every((r) => r === "CertChainError" || r === "NoCertificateAvailable")).toBe(true);

    // The operator revokes the contract; the cloud publishes the new list; after one sync the site refuses it.
    await pki(["revoke", "--dir", pkiDir, "--cert", leaf]);
    const revokedList = await crl(join(dir, "crl-2.bin"));
    const before = messages("config document version in force").length;
    cloud.configs.publish(siteId, (d) => {
      d.revocationList = revokedList;
    });
    const refused = await attemptUntil((l) => l.reason === "CertificateRevoked");
    expect(refused).toMatchObject({ msg: "session rejected", reason: "CertificateRevoked" });
    expect(messages("config document version in force").length).toBeGreaterThan(before);
    // Accepted only while the contract stood: every decision after the revocation reached the site is a refusal.
    expect(messages("session started").length).toBeGreaterThanOrEqual(1);
    daemon.kill("SIGTERM");
    expect(await new Promise((r) => daemon.once("exit", r))).toBe(0);
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\nlast daemon log lines:\n${log.lines
        .slice(-25)
        .map((l) => JSON.stringify(l))
        .join("\n")}`,
    );
  } finally {
    daemon.kill("SIGKILL");
    await cloud.stop();
  }
}, 240_000);
