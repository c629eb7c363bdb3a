import { createPrivateKey, sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import type { AutomergeUrl, PeerId } from "@automerge/automerge-repo";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { sessionId, siteId, stallId, systemClock } from "@chargemesh/shared-model";
import type { ConfigDocument } from "@chargemesh/shared-model";
import { issueLeaf, issueRoot } from "@chargemesh/certificate-issuer";
import { certificateFingerprint, signRevocationList } from "@chargemesh/shared-model";
import { nobleEd25519 } from "@chargemesh/shared-model";
import { Libp2pNetworkAdapter, createSyncNode } from "@chargemesh/automerge-network-libp2p";
import { CloudPeer } from "@chargemesh/cloud-peer";
import { SiteRepo } from "@chargemesh/edge-node";
import { CertificateAuthorizer } from "@chargemesh/edge-node";
import { ConfigDocTrustStore, SiteConfigDocument } from "@chargemesh/edge-node";

const dir = mkdtempSync(join(tmpdir(), "cm-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const until = async (cond: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
};

test("trust anchors, standing and a revocation list published by the cloud reach the site in its config document; a revoked contract is refused after one sync", async () => {
  const now = Date.now();
  const root = await issueRoot({
    name: "V2G Root",
    serial: "01",
    pathLength: 2,
    notBefore: new Date(now - 86_400_000),
    notAfter: new Date(now + 86_400_000 * 365),
  });
  const leaf = await issueLeaf(
    "DE-CMS-C00000077-7",
    "20",
    new Date(now - 86_400_000),
    new Date(now + 86_400_000 * 30),
    { cert: root.cert, privateKey: root.keys!.privateKey },
  );
  const carKey = createPrivateKey({
    key: Buffer.from(await crypto.subtle.exportKey("pkcs8", leaf.keys!.privateKey)),
    format: "der",
    type: "pkcs8",
  });
  const revocationSeed = new Uint8Array(32).fill(8);
  const revocationKey = nobleEd25519.publicKey(revocationSeed);
  const list = (revoked: string[]) => ({
    signed: signRevocationList(
      { issuedAtMs: now, nextUpdateMs: now + 86_400_000, revoked: new Set(revoked) },
      revocationSeed,
      nobleEd25519,
    ),
    issuedAtMs: now,
    nextUpdateMs: now + 86_400_000,
  });

  const cloud = await CloudPeer.start({
    dataDir: join(dir, "cloud"),
    privateKey: await generateKeyPair("Ed25519"),
    listen: ["/ip4/127.0.0.1/tcp/0"],
    clock: systemClock,
  });
  const node = await createSyncNode({ privateKey: await generateKeyPair("Ed25519") });
  const site = await SiteRepo.open(
    siteId("config-site"),
    join(dir, "site"),
    [new Libp2pNetworkAdapter({ node, dial: [cloud.node.getMultiaddrs()[0]!.toString()], redialMs: 100 })],
    node.peerId.toString() as PeerId,
  );
  try {
    cloud.registerSite("config-site", node.peerId.toString(), site.root.url);
    const url = cloud.configs.publish("config-site", (d) => {
      d.trustAnchors = [root.der];
      d.accountStanding["DE-CMS-C00000077-7"] = { standing: "good", version: 1 };
      d.revocationList = list([]);
    });
    cloud.registerSite(
      "other-site",
      "12D3KooWOtherSiteOtherSiteOtherSiteOtherSite1",
      "automerge:4x4x4x4x4x4x4x4x4x4x4x4x4x4x4",
    );
    expect(
      cloud.sharing.mayShare("12D3KooWOtherSiteOtherSiteOtherSiteOtherSite1", url.replace("automerge:", "")),
    ).toBe(false);
    await until(() => site.repo.peers.length > 0, 10_000);
    const handle = await site.repo.find<ConfigDocument>(url as AutomergeUrl);
    const configDocument = new SiteConfigDocument();
    configDocument.attach(handle);
    const trust = new ConfigDocTrustStore(
      configDocument,
      revocationKey,
      () => Date.now(),
      () => 0,
    );
    await until(() => trust.version() >= 1, 10_000);
    const authorizer = new CertificateAuthorizer(trust, {
      offlineAfterMs: 60_000,
      revocationMaxAgeMs: 86_400_000,
      unknownContractCaps: {},
      unknownContractMaxSessionsPerDay: 0,
      regionFailedCaps: {},
    });
    const attempt = () => {
      const challenge = crypto.getRandomValues(new Uint8Array(16));
      return authorizer.authorize({
        stallId: stallId("s1"),
        sessionId: sessionId("config-site:CONFIGTEST00001"),
        plug: { certificateChain: [leaf.der, root.der] },
        challenge,
        challengeSignature: sign("sha256", challenge, carKey),
        nowMs: Date.now(),
      });
    };
    expect(await attempt()).toMatchObject({ accepted: true, mode: "online" });
    cloud.configs.publish("config-site", (d) => {
      d.revocationList = list([certificateFingerprint(leaf.der)]);
    });
    await until(() => trust.version() >= 2, 10_000);
    expect(await attempt()).toMatchObject({ accepted: false, reason: "CertificateRevoked" });
  } finally {
    await site.close();
    await node.stop();
    await cloud.stop();
  }
}, 60_000);
