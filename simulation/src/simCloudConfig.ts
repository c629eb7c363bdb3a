import { certificateFingerprint, signRevocationList } from "@chargemesh/shared-model";
import type { Clock, ConfigDocument, ContractId } from "@chargemesh/shared-model";
import { nodeEd25519 } from "@chargemesh/node-ed25519";

/**
 * The config document a simulated site's cloud would address to it: the simulation PKI's root as
 * trust anchor, a revocation list signed with the simulated cloud's key (re-signed when a contract is
 * revoked), and account standing. The site reads it through the same SiteConfigDocument and
 * ConfigDocTrustStore as the daemon reads the cloud's document.
 */
export class SimCloudConfig {
  private readonly revoked = new Set<string>();
  private doc: ConfigDocument;

  constructor(
    private readonly rootDer: Uint8Array,
    private readonly standing: ReadonlyMap<ContractId, "good" | "blocked">,
    private readonly revocationSeed: Uint8Array,
    private readonly clock: Clock,
    private readonly offlinePolicy: ConfigDocument["offlinePolicy"],
  ) {
    this.doc = this.build(1);
  }

  /** The document as the site holds it now. */
  current(): ConfigDocument {
    return this.doc;
  }

  /** Publishes a revocation list naming `certificateDer`: the next version of the document. */
  revoke(certificateDer: Uint8Array): void {
    this.revoked.add(certificateFingerprint(certificateDer));
    this.doc = this.build(this.doc.version + 1);
  }

  private build(version: number): ConfigDocument {
    const now = this.clock.now();
    const nextUpdateMs = now + 86_400_000;
    return {
      schemaVersion: 1,
      version,
      issuedAtMs: now,
      tariffs: [],
      trustAnchors: [this.rootDer],
      revocationList: {
        signed: signRevocationList(
          { issuedAtMs: now, nextUpdateMs, revoked: this.revoked },
          this.revocationSeed,
          nodeEd25519,
        ),
        issuedAtMs: now,
        nextUpdateMs,
      },
      accountStanding: Object.fromEntries(
        [...this.standing].map(([c, s]) => [c, { standing: s, version: 1 }]),
      ),
      offlinePolicy: this.offlinePolicy,
      siteLimits: {},
      acknowledged: {},
    };
  }
}
