import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ContractId } from "@chargemesh/shared-model";
import { verifyRevocationList } from "@chargemesh/shared-model";
import type { TrustStore } from "../auth/certificateAuthorizer.js";
import { nodeEd25519 } from "@chargemesh/node-ed25519";

export interface FileTrust {
  readonly anchorFiles: readonly string[];
  readonly revocationListFile?: string;
  readonly revocationKeyHex?: string;
  readonly standing: Readonly<Record<string, "good" | "blocked">>;
}

const derOf = (bytes: Buffer): Uint8Array => new Uint8Array(new X509Certificate(bytes).raw);

/**
 * A TrustStore read from files for a site that runs without a cloud peer (a lab, a depot): anchors
 * and the signed revocation list as chargemesh-pki writes them, standing from the config. It never had
 * cloud contact, so the offline policy applies to contracts it does not know. Throws at construction on unreadable files.
 */
export class FileTrustStore implements TrustStore {
  private readonly anchors: Uint8Array[];
  private readonly crl: { signed: Uint8Array; key: Uint8Array } | null;

  constructor(
    private readonly trust: FileTrust,
    readonly sessionsToday: (contract: ContractId) => number,
  ) {
    this.anchors = trust.anchorFiles.map((f) => derOf(readFileSync(f)));
    this.crl =
      trust.revocationListFile && trust.revocationKeyHex
        ? {
            signed: new Uint8Array(readFileSync(trust.revocationListFile)),
            key: Uint8Array.from(Buffer.from(trust.revocationKeyHex, "hex")),
          }
        : null;
  }

  trustAnchors(): readonly Uint8Array[] {
    return this.anchors;
  }

  revocationList(): { signed: Uint8Array; key: Uint8Array } | null {
    return this.crl;
  }

  standing(contract: ContractId): "good" | "blocked" | undefined {
    return this.trust.standing[contract];
  }

  /** Fingerprints the (verified) revocation list names. */
  revokedFingerprints(): string[] {
    if (!this.crl) return [];
    const v = verifyRevocationList(this.crl.signed, this.crl.key, nodeEd25519);
    return v.ok ? [...v.value.revoked] : [];
  }

  lastCloudContactMs(): number {
    return 0;
  }

  regionFailed(): boolean {
    return false;
  }
}
