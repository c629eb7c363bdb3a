import type { DocHandle } from "@automerge/automerge-repo";
import { configDocumentSchema } from "@chargemesh/shared-model";
import type { ConfigDocument } from "@chargemesh/shared-model";

/**
 * The config document the site works from (trust anchors, revocation list, account standing, offline
 * policy, acknowledgements): the one the cloud addressed to it, once sync delivered it, or a copy the
 * site was provisioned with before its first contact. The site keeps the highest version it holds. A
 * document that fails its schema is never used (the site goes on with the last valid one and says so).
 */
export class SiteConfigDocument {
  private handle: DocHandle<ConfigDocument> | null = null;
  private provisioned: ConfigDocument | null = null;
  /** The last document object checked, and its verdict (Automerge gives a new object on every change). */
  private checked: { raw: unknown; valid: ConfigDocument | null } | null = null;
  private lastValid: ConfigDocument | null = null;
  private invalid = 0;

  constructor(
    private readonly onInvalid: (issues: string) => void = () => undefined,
    /** Told each time a newer valid version comes into force (read on use, so at the next authorization or archive run). */
    private readonly onVersion: (version: number) => void = () => undefined,
  ) {}

  /** Follows the cloud's document from now on. */
  attach(handle: DocHandle<ConfigDocument>): void {
    this.handle = handle;
  }

  /** Sets the copy the site holds before (or without) sync: provisioning, or a simulation's cloud. */
  provision(doc: ConfigDocument): void {
    this.provisioned = doc;
  }

  /** True once a cloud document is attached. */
  attached(): boolean {
    return this.handle !== null;
  }

  /** How many invalid versions were refused. */
  refusedVersions(): number {
    return this.invalid;
  }

  /**
   * The closed days a cloud peer acknowledged holding (document ID -> heads): read from the cloud's own
   * document only, whatever version a provisioned copy has, since only a cloud peer can acknowledge.
   */
  acknowledged(): Readonly<Record<string, readonly string[]>> {
    return this.check(this.handle?.isReady() ? this.handle.doc() : null)?.acknowledged ?? {};
  }

  /**
   * The document the site authorizes from: the newest valid one that carries trust anchors (a version
   * without anchors, e.g. a cloud document nobody has provisioned yet, never replaces a usable one),
   * else the newest valid one, else null. Never throws.
   */
  current(): ConfigDocument | null {
    const raw = this.handle?.isReady() ? this.handle.doc() : null;
    // Usable (with anchors) before not, then the higher version; never back to a lower one.
    const rank = (d: ConfigDocument) => (d.trustAnchors.length > 0 ? 1 : 0) * 2 ** 40 + d.version;
    const cloud = this.check(raw);
    const provisioned = this.check(this.provisioned);
    const best = cloud && (!provisioned || rank(cloud) >= rank(provisioned)) ? cloud : provisioned;
    if (
      best !== null &&
      (this.lastValid === null ||
        rank(best) > rank(this.lastValid) ||
        (best === cloud && rank(best) === rank(this.lastValid)))
    ) {
      if (best.version !== this.lastValid?.version) this.onVersion(best.version);
      this.lastValid = best;
    }
    return this.lastValid;
  }

  private check(raw: unknown): ConfigDocument | null {
    if (raw === null || raw === undefined) return null;
    if (this.checked?.raw === raw) return this.checked.valid;
    const parsed = configDocumentSchema.safeParse(raw);
    const valid = parsed.success ? (raw as ConfigDocument) : null;
    if (!parsed.success) {
      this.invalid += 1;
      this.onInvalid(
        parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join(".")}: ${i.message}`)
          .join("; "),
      );
    }
    this.checked = { raw, valid };
    return valid;
  }
}
