import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { loadSiteKeys } from "@chargemesh/edge-node";
import type { SiteKeys } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";

/** What a simulated site is provisioned with, as the operator's PKI would provision a real one. */
export interface SimProvisioning {
  /** The site's keys, read through the daemon's own loader. */
  readonly keys: SiteKeys;
  /** The simulated cloud's revocation-list signing key (a real cloud keeps it in its PKI). */
  readonly revocationSeed: Uint8Array;
}

function writePrivate(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Provisions a simulated site in `dataDir` on first use, with fresh random keys (never a fixed seed):
 * `site-keys.json` in the format `chargemesh-pki site-keys` writes, and the simulated cloud's
 * revocation key; both 0600. Later runs read the same files, so a restarted site keeps its keys.
 */
export function provisionSimSite(dataDir: string, siteId: string): SimProvisioning {
  const keysFile = join(dataDir, "site-keys.json");
  const revocationFile = join(dataDir, "sim-cloud-revocation.key");
  if (!existsSync(revocationFile)) writePrivate(revocationFile, randomBytes(32).toString("hex"));
  const revocationSeed = Uint8Array.from(Buffer.from(readFileSync(revocationFile, "utf8").trim(), "hex"));
  if (!existsSync(keysFile)) {
    const seed = randomBytes(32);
    writePrivate(
      keysFile,
      JSON.stringify({
        format: "chargemesh-site-keys",
        version: 1,
        siteId,
        meterOperator: {
          keyId: `sim-operator-${Buffer.from(nodeEd25519.publicKey(seed)).toString("hex").slice(0, 16)}`,
          seed: seed.toString("hex"),
        },
        revocationPublicKey: Buffer.from(nodeEd25519.publicKey(revocationSeed)).toString("hex"),
      }),
    );
  }
  return { keys: loadSiteKeys(keysFile, siteId), revocationSeed };
}
