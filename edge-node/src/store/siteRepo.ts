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
import type { Clock, SiteId } from "@chargemesh/shared-model";
import { ChargemeshError, systemClock, writeAs } from "@chargemesh/shared-model";
import { indexedDocuments } from "@chargemesh/shared-model";
import type { Writer } from "@chargemesh/shared-model";
import { checkStoredDocument, quarantineDocument } from "./storedDocumentCheck.js";
import { StoreIntegrity } from "./storeIntegrity.js";
import type { DamagedDocument } from "./storeIntegrity.js";
import { checkArchiveFile, quarantineArchiveFile, writeArchiveFile } from "./archiveChecksum.js";

/** What `SiteRepo.open` checks with: the register damaged documents go to, and the clock of its records. */
export interface SiteRepoIntegrity {
  readonly integrity?: StoreIntegrity;
  readonly clock?: Clock;
}

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
    /** Damaged documents and archive files found in this store, and how their repair stands. */
    readonly integrity: StoreIntegrity,
    private readonly clock: Clock,
  ) {}

  /** True while `documentId` is a live document whose stored chunks were found damaged and set aside. */
  isUnderRepair(documentId: string): boolean {
    return this.integrity.isUnderRepair(documentId);
  }

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
    if (this.isUnderRepair(url)) throw new Error(`document ${url} is damaged and under repair`);
    const handle = await this.repo.find<unknown>(url as AutomergeUrl);
    mkdirSync(join(this.dataDir, "archive"), { recursive: true });
    const doc = handle.doc() as A.Doc<unknown>;
    writeArchiveFile(this.archiveFile(url), A.save(doc), A.getHeads(doc));
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

  /**
   * Checks every archive file the root lists against its SHA-256 sidecar. A damaged one is moved into
   * `archive/quarantine/` (never deleted) and reported to `integrity`; returns what this check newly
   * found. Never throws on bad bytes (an I/O error moving a file is reported in the entry).
   */
  checkArchive(): DamagedDocument[] {
    const found: DamagedDocument[] = [];
    for (const [key, url] of Object.entries(this.root.doc().archived ?? {})) {
      if (this.integrity.pendingOf(url)) continue;
      const file = this.archiveFile(url);
      const check = checkArchiveFile(file);
      if (check.ok) continue;
      let quarantinedAt: string;
      try {
        quarantinedAt = quarantineArchiveFile(file, this.clock.now()) ?? "(the file is missing)";
      } catch (e) {
        quarantinedAt = `(not moved: ${(e as Error).message})`;
      }
      found.push(
        this.integrity.report({
          documentId: url,
          key,
          where: "archive",
          file,
          reason: check.reason,
          held: null,
          heads: check.heads,
          quarantinedAt,
        }),
      );
    }
    return found;
  }

  /** Writes an accepted copy of an archived document back to its archive file, with a fresh sidecar. Throws on an I/O error. */
  restoreArchive(url: string, doc: A.Doc<unknown>): void {
    mkdirSync(join(this.dataDir, "archive"), { recursive: true });
    writeArchiveFile(this.archiveFile(url), A.save(doc), A.getHeads(doc));
  }

  /**
   * Puts an accepted copy of a damaged live document back into the store (one snapshot chunk, durable
   * when this resolves) and opens it in the repo; the caller marks it repaired. Throws on a store error.
   */
  async restoreDocument<T>(url: string, doc: A.Doc<T>): Promise<DocHandle<T>> {
    const id = url.replace("automerge:", "");
    const bytes = A.save(doc);
    const hash = Buffer.from(A.getHeads(doc).sort().join()).toString("base64url").slice(0, 32);
    await this.storage.save([id, "snapshot", `restored-${hash}`], bytes);
    const handle = await this.repo.find<T>(url as AutomergeUrl);
    writeAs(handle, this.writer, randomBytes);
    return handle;
  }

  /** The SQLite file of this store (named in damage reports). */
  get storeFile(): string {
    return join(this.dataDir, "site.sqlite");
  }

  private archiveFile(url: string): string {
    return join(this.dataDir, "archive", `${url.replace("automerge:", "")}.automerge`);
  }

  /**
   * Opens (or creates) the site's store in `dataDir`. Before automerge-repo reads anything, every
   * document the root indexes is checked chunk by chunk: a damaged one has its chunks set aside in the
   * store's quarantine table, is reported to `checks.integrity` (document, file, chunk, what the
   * readable chunks still hold) and stays out of the repo until repaired; the rest opens as usual.
   * Fails if the store belongs to another site, or naming the document and file when the root itself is damaged.
   */
  static async open(
    siteId: SiteId,
    dataDir: string,
    network: NetworkAdapterInterface[] = [],
    peerId?: PeerId,
    checks: SiteRepoIntegrity = {},
  ): Promise<SiteRepo> {
    mkdirSync(dataDir, { recursive: true });
    const clock = checks.clock ?? systemClock;
    const integrity = checks.integrity ?? new StoreIntegrity(clock);
    const file = join(dataDir, "site.sqlite");
    const storage = new SqliteStorageAdapter(file);
    const rootFile = join(dataDir, "root-url");
    if (existsSync(rootFile)) {
      try {
        await checkIndexedDocuments(storage, readFileSync(rootFile, "utf8").trim(), file, integrity, clock);
      } catch (e) {
        storage.close();
        throw e;
      }
    }
    const repo = new Repo({ storage, network, ...(peerId ? { peerId } : {}), sharePolicy: async () => true });
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
    return new SiteRepo(repo, root, storage, writer, dataDir, integrity, clock);
  }

  /** The handle indexed under `key` in the root's `field` map, created with `init` when absent; "unavailable" while that document is under repair. */
  async findOrCreate<T>(field: "journals" | "segments", key: string, init: () => T): Promise<DocHandle<T>> {
    const url = this.root.doc()[field][key];
    if (url && this.isUnderRepair(url))
      throw new ChargemeshError("unavailable", `${field}/${key} (${url}) is damaged and under repair`);
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

/**
 * Checks the root, every document it indexes and every other stored document (the cloud's config). A
 * damaged root stops the open (naming it and the file: without its index the site cannot know its
 * documents); any other damaged document is quarantined and reported, a cloud-written one for
 * refetching by ordinary sync (`refetch`: the write guard takes only cloud peers' changes into it).
 */
async function checkIndexedDocuments(
  storage: SqliteStorageAdapter,
  rootUrl: string,
  file: string,
  integrity: StoreIntegrity,
  clock: Clock,
): Promise<void> {
  const rootId = rootUrl.replace("automerge:", "");
  const root = await checkStoredDocument(storage, rootId);
  if (!root.ok)
    throw new ChargemeshError(
      "internal",
      `the site's root document ${rootUrl} is damaged in ${file} (${root.reason}); restore the store from the cloud's copy of the root by hand`,
    );
  const doc = root.doc as Partial<SiteRoot>;
  const entries: [string, string][] = [
    ...Object.entries(doc.journals ?? {}).map(([k, u]) => [`journals/${k}`, u] as [string, string]),
    ...Object.entries(doc.segments ?? {}).map(([k, u]) => [`segments/${k}`, u] as [string, string]),
  ];
  // Every other stored document is one the cloud writes (the config): set aside, it comes back by sync.
  const known = new Set([rootId, ...entries.map(([, u]) => u.replace("automerge:", ""))]);
  for (const id of storage.documentIds())
    if (!known.has(id) && id !== "storage-adapter-id") entries.push([`cloud/${id}`, `automerge:${id}`]);
  for (const [key, url] of entries) {
    const id = url.replace("automerge:", "");
    const check = await checkStoredDocument(storage, id);
    if (check.ok) continue;
    const refetch = key.startsWith("cloud/");
    if (refetch && !check.alreadyQuarantined && check.damaged.length === 0) continue;
    if (!check.alreadyQuarantined) await quarantineDocument(storage, id, check.damaged, clock.now());
    integrity.report({
      documentId: url,
      key,
      where: "store",
      file,
      reason: check.reason,
      held: check.held ? A.save(check.held) : null,
      heads: null,
      quarantinedAt: `${file}, table quarantined_chunks`,
      ...(refetch ? { refetch } : {}),
    });
  }
}

/** A new document whose every change, the first included, is written as `writer`. */
function createAs<T>(repo: Repo, writer: Writer, initial: T): DocHandle<T> {
  const handle = repo.create<T>();
  writeAs(handle, writer, randomBytes);
  handle.change((d) => void Object.assign(d as object, initial));
  return handle;
}
