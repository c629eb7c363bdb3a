import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Repo } from "@automerge/automerge-repo";
import type {
  AutomergeUrl,
  DocHandle,
  DocumentId,
  NetworkAdapterInterface,
  PeerId,
} from "@automerge/automerge-repo";
import { SqliteStorageAdapter, writeFileDurably } from "@chargemesh/automerge-storage-sqlite";
import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import type { SiteId } from "@chargemesh/shared-model";
import { writeAs } from "@chargemesh/shared-model";
import { indexedDocuments } from "@chargemesh/shared-model";
import type { Writer } from "@chargemesh/shared-model";

/** The site root document: the index of the site's other documents (peers cannot discover them otherwise). */
export interface SiteRoot {
  schemaVersion: number;
  siteId: string;
  /** Day journal URL by UTC day `YYYY-MM-DD`. */
  journals: Record<string, string>;
  /** Ledger segment URL by `meterId/YYYY-MM-DD`. */
  segments: Record<string, string>;
  /** Operator-signed meter key certificates by meter ID, one per key epoch. */
  meterCertificates: Record<string, Uint8Array[]>;
  /** Operator public keys by key ID (what the certificates are checked against). */
  operatorKeys: Record<string, Uint8Array>;
  /** Archived documents by their former key (`journals/<day>`, `segments/<meter>/<day>`); their bytes are in `archive/`. */
  archived?: Record<string, string>;
}

/**
 * The site's automerge-repo on durable SQLite storage, with a find-or-create index of its documents.
 * `flush` resolves when the named documents are on disk (WAL + synchronous=FULL in the adapter).
 * Every handle it gives out writes as this site (writer-tagged actor IDs, fresh per process), so
 * receivers can tell the site's changes from anyone else's.
 */
export class SiteRepo {
  private constructor(
    readonly repo: Repo,
    readonly root: DocHandle<SiteRoot>,
    private readonly storage: SqliteStorageAdapter,
    readonly writer: Writer,
    private readonly dataDir: string,
  ) {}

  /** The site's present copy of a document, when it holds one. */
  currentDoc(documentId: string): A.Doc<unknown> | null {
    const h = this.repo.handles[documentId.replace("automerge:", "") as DocumentId] as
      DocHandle<unknown> | undefined;
    return h?.isReady() ? (h.doc() as A.Doc<unknown>) : null;
  }

  /** True when `documentId` (URL or bare ID) is the root or a document the root indexes. */
  isOwnDocument(documentId: string): boolean {
    const id = documentId.replace("automerge:", "");
    if (id === this.root.documentId) return true;
    return indexedDocuments(this.root.doc()).some((u) => u.replace("automerge:", "") === id);
  }

  /** The URLs of the root and every live document it indexes. */
  documentUrls(): AutomergeUrl[] {
    return [this.root.url, ...indexedDocuments(this.root.doc())] as AutomergeUrl[];
  }

  private archivedIds = { at: "", ids: new Set<string>() };

  /** True when the site archived `documentId` (its bytes live in the archive directory, not the repo). */
  isArchived(documentId: string): boolean {
    const at = this.root.heads().join();
    if (at !== this.archivedIds.at) {
      const ids = Object.values(this.root.doc().archived ?? {}).map((u) => u.replace("automerge:", ""));
      this.archivedIds = { at, ids: new Set(ids) };
    }
    return this.archivedIds.ids.has(documentId.replace("automerge:", ""));
  }

  /**
   * Moves an indexed document out of the live repo: its bytes go to `archive/<documentId>.automerge`
   * (written durably first), its index entry moves under `archived`, then it leaves the repo and its
   * storage. Safe to repeat after a crash at any step. Fails when `key` is not indexed.
   */
  async archive(key: string): Promise<void> {
    const [field, ...rest] = key.split("/");
    const sub = rest.join("/");
    if (field !== "journals" && field !== "segments") throw new Error(`not an archivable key: ${key}`);
    const url = this.root.doc()[field][sub];
    if (!url) throw new Error(`no document indexed under ${key}`);
    const handle = await this.repo.find<unknown>(url as AutomergeUrl);
    mkdirSync(join(this.dataDir, "archive"), { recursive: true });
    writeFileDurably(this.archiveFile(url), A.save(handle.doc() as A.Doc<unknown>));
    this.root.change((d) => {
      d.archived ??= {};
      d.archived[key] = url;
      delete d[field][sub];
    });
    await this.repo.flush([this.root.documentId]);
    this.repo.delete(url as AutomergeUrl);
  }

  /** An archived document, read back from the archive directory. Fails when it is not there. */
  archivedDocument<T>(url: string): A.Doc<T> {
    return A.load<T>(readFileSync(this.archiveFile(url)));
  }

  private archiveFile(url: string): string {
    return join(this.dataDir, "archive", `${url.replace("automerge:", "")}.automerge`);
  }

  /** Opens (or creates) the site's store in `dataDir`. Fails if the store belongs to another site. */
  static async open(
    siteId: SiteId,
    dataDir: string,
    network: NetworkAdapterInterface[] = [],
    peerId?: PeerId,
  ): Promise<SiteRepo> {
    mkdirSync(dataDir, { recursive: true });
    const storage = new SqliteStorageAdapter(join(dataDir, "site.sqlite"));
    const repo = new Repo({ storage, network, ...(peerId ? { peerId } : {}), sharePolicy: async () => true });
    const rootFile = join(dataDir, "root-url");
    const writer: Writer = { side: "site", siteId };
    let root: DocHandle<SiteRoot>;
    if (existsSync(rootFile)) {
      root = await repo.find<SiteRoot>(readFileSync(rootFile, "utf8").trim() as AutomergeUrl);
      if (root.doc().siteId !== siteId)
        throw new Error(`store in ${dataDir} belongs to site ${root.doc().siteId}, not ${siteId}`);
      writeAs(root, writer, randomBytes);
    } else {
      root = createAs<SiteRoot>(repo, writer, {
        schemaVersion: 1,
        siteId,
        journals: {},
        segments: {},
        meterCertificates: {},
        operatorKeys: {},
      });
      await repo.flush([root.documentId]);
      writeFileDurably(rootFile, root.url);
    }
    return new SiteRepo(repo, root, storage, writer, dataDir);
  }

  /** The handle indexed under `key` in the root's `field` map, created with `init` when absent. */
  async findOrCreate<T>(field: "journals" | "segments", key: string, init: () => T): Promise<DocHandle<T>> {
    const url = this.root.doc()[field][key];
    if (url) {
      const found = await this.repo.find<T>(url as AutomergeUrl);
      writeAs(found, this.writer, randomBytes);
      return found;
    }
    const handle = createAs<T>(this.repo, this.writer, init());
    await this.repo.flush([handle.documentId]);
    this.root.change((d) => {
      d[field][key] = handle.url;
    });
    await this.repo.flush([this.root.documentId]);
    return handle;
  }

  /** Stores a meter key certificate and its operator's public key in the root document, durably. */
  async addMeterCertificate(
    meterId: string,
    certificate: Uint8Array,
    operatorKeyId: string,
    operatorPublicKey: Uint8Array,
  ): Promise<void> {
    this.root.change((d) => {
      d.operatorKeys[operatorKeyId] = operatorPublicKey;
      // Assigning a list inside a change yields a proxy only when read back, so assign, then read.
      if (!d.meterCertificates[meterId]) d.meterCertificates[meterId] = [];
      d.meterCertificates[meterId]!.push(certificate);
    });
    await this.repo.flush([this.root.documentId]);
  }

  /** Resolves when the given documents are durable. */
  flush(ids: DocumentId[]): Promise<void> {
    return this.repo.flush(ids);
  }

  /** Flushes every document this repo holds and closes the store; a document still waiting for a peer has nothing to flush and is skipped. */
  async close(): Promise<void> {
    const ready = Object.values(this.repo.handles)
      .filter((h) => h.isReady())
      .map((h) => h.documentId);
    await this.repo.flush(ready);
    // Repo.shutdown would flush every handle again, and throws on one that is not ready: disconnect as it does.
    for (const adapter of this.repo.networkSubsystem.adapters) adapter.disconnect();
    this.storage.close();
  }
}

/** A new document whose every change, the first included, is written as `writer`. */
function createAs<T>(repo: Repo, writer: Writer, initial: T): DocHandle<T> {
  const handle = repo.create<T>();
  writeAs(handle, writer, randomBytes);
  handle.change((d) => void Object.assign(d as object, initial));
  return handle;
}
