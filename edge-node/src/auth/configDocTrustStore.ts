import type { ConfigDocument } from "@chargemesh/shared-model";
import type { ContractId } from "@chargemesh/shared-model";
import type { TrustStore } from "./certificateAuthorizer.js";

/**
 * A TrustStore backed by the site's config document, as the cloud last wrote it and sync delivered it
 * (the site keeps working from the last valid version it holds). The revocation key comes from the
 * site's provisioning, never from the document itself; the time of last cloud contact from the sync
 * layer. Without a document there are no anchors: every contract is refused (fail closed).
 */
export class ConfigDocTrustStore implements TrustStore {
  constructor(
    private readonly config: { current(): ConfigDocument | null },
    private readonly revocationKey: Uint8Array,
    private readonly lastContact: () => number,
    readonly sessionsToday: (contract: ContractId) => number,
    private readonly regionFailedFlag: () => boolean = () => false,
  ) {}

  private doc(): ConfigDocument | null {
    return this.config.current();
  }

  trustAnchors(): readonly Uint8Array[] {
    return this.doc()?.trustAnchors ?? [];
  }

  revocationList(): { signed: Uint8Array; key: Uint8Array } | null {
    const list = this.doc()?.revocationList;
    return list ? { signed: list.signed, key: this.revocationKey } : null;
  }

  standing(contract: ContractId): "good" | "blocked" | undefined {
    return this.doc()?.accountStanding[contract]?.standing;
  }

  lastCloudContactMs(): number {
    return this.lastContact();
  }

  regionFailed(): boolean {
    return this.regionFailedFlag();
  }

  /** The config version the site holds (0 before the first arrives). */
  version(): number {
    return this.doc()?.version ?? 0;
  }
}
