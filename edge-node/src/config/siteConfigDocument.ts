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

  /** The newest valid document the site holds, or null before any. Never throws. */
  current(): ConfigDocument | null {
    const raw = this.handle?.isReady() ? this.handle.doc() : null;
    const candidates = [this.check(raw), this.check(this.provisioned)].filter(
      (d): d is ConfigDocument => d !== null,
    );
    for (const d of candidates)
      if (!this.lastValid || d.version >= this.lastValid.version) {
        if (d.version !== this.lastValid?.version) this.onVersion(d.version);
        this.lastValid = d;
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
