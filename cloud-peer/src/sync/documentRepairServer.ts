import * as A from "@automerge/automerge";
import type { AutomergeUrl, DocHandle, Repo, RepoMessage } from "@automerge/automerge-repo";
import { decode, encode } from "@automerge/automerge-repo/helpers/cbor.js";
import { Counter } from "prom-client";
import type { Registry } from "prom-client";

/** The exchange's message kinds (edge-node's store/documentRepairProtocol.ts has the same). */
export const REPAIR_REQUEST = "chargemesh/document-repair-request";
export const REPAIR_COPY = "chargemesh/document-repair-copy";
export const REPAIR_UNAVAILABLE = "chargemesh/document-repair-unavailable";

/** True for a body of the repair exchange (the live telemetry gateway leaves those alone). */
export function isDocumentRepairMessage(body: unknown): boolean {
  const kind = (body as { kind?: unknown } | null)?.kind;
  return kind === REPAIR_REQUEST || kind === REPAIR_COPY || kind === REPAIR_UNAVAILABLE;
}

export interface DocumentRepairServerOptions {
  readonly repo: Repo;
  /** The site an authenticated peer is registered as, or null for any other peer. */
  readonly siteOf: (peerId: string) => string | null;
  /** The root document URL of a registered site. */
  readonly rootOf: (siteId: string) => string | null;
  /** The share policy's answer: may `siteId` have its own document `documentId` back (live or archived)? */
  readonly mayServe: (siteId: string, documentId: string) => boolean;
  readonly registry?: Registry;
  /** How long to wait for a copy to load from this peer's storage, ms (default 10 s). */
  readonly loadTimeoutMs?: number;
  /** Requests served at once (default 4); more are answered "busy". */
  readonly maxInFlight?: number;
}

/**
 * Serves a site its own documents back when it asks (a damaged stored document or archive file): the
 * request comes as an ephemeral message on the site's root from the site's authenticated peer, names
 * one document the share policy says is that site's (live or archived; the site writes it, so this
 * is a read, and the write guard is untouched), and the answer goes to that peer only, as this peer's
 * `A.save` of its copy or why not. The site decides whether the copy is acceptable. Counted in
 * `chargemesh_cloud_repair_requests_total{outcome}`. Never throws.
 */
export class DocumentRepairServer {
  private inFlight = 0;
  private readonly outcomes: Counter | null;

  constructor(private readonly opts: DocumentRepairServerOptions) {
    this.outcomes = opts.registry
      ? new Counter({
          name: "chargemesh_cloud_repair_requests_total",
          help: "Document repair requests from sites, by outcome (served, refused, unavailable, busy)",
          labelNames: ["outcome"],
          registers: [opts.registry],
        })
      : null;
  }

  /** Starts answering requests arriving on `repo`'s network. Returns the unsubscribe. */
  listen(): () => void {
    const net = this.opts.repo.networkSubsystem;
    const onMessage = (m: RepoMessage) => void this.onMessage(m);
    net.on("message", onMessage);
    return () => void net.off("message", onMessage);
  }

  private async onMessage(m: RepoMessage): Promise<void> {
    if (m.type !== "ephemeral") return;
    const siteId = this.opts.siteOf(m.senderId);
    if (siteId === null || bare(this.opts.rootOf(siteId) ?? "") !== m.documentId) return;
    let body: { kind?: unknown; documentId?: unknown; requestId?: unknown };
    try {
      body = decode(m.data) as typeof body;
    } catch {
      return;
    }
    if (body?.kind !== REPAIR_REQUEST) return;
    if (typeof body.documentId !== "string" || body.documentId.length > 128) return;
    const requestId = typeof body.requestId === "string" ? body.requestId.slice(0, 64) : "";
    const documentId = bare(body.documentId);
    const answer = (kind: string, extra: Record<string, unknown>, outcome: string) => {
      this.outcomes?.inc({ outcome });
      this.opts.repo.networkSubsystem.send({
        type: "ephemeral",
        targetId: m.senderId,
        documentId: m.documentId,
        data: encode({ kind, documentId, requestId, ...extra }),
      } as never);
    };
    if (!this.opts.mayServe(siteId, documentId))
      return answer(REPAIR_UNAVAILABLE, { reason: `not a document of site ${siteId}` }, "refused");
    if (this.inFlight >= (this.opts.maxInFlight ?? 4))
      return answer(REPAIR_UNAVAILABLE, { reason: "busy, ask again later" }, "busy");
    this.inFlight++;
    try {
      const handle = await this.copyOf(documentId);
      if (!handle) return answer(REPAIR_UNAVAILABLE, { reason: "this peer holds no copy" }, "unavailable");
      answer(REPAIR_COPY, { bytes: A.save(handle.doc() as A.Doc<unknown>) }, "served");
    } catch (e) {
      answer(
        REPAIR_UNAVAILABLE,
        { reason: `could not read the copy: ${(e as Error).message}` },
        "unavailable",
      );
    } finally {
      this.inFlight--;
    }
  }

  /** This peer's copy, from memory or its storage; null when it holds none. */
  private async copyOf(documentId: string): Promise<DocHandle<unknown> | null> {
    const held = this.opts.repo.handles[documentId as never] as DocHandle<unknown> | undefined;
    if (held?.isReady()) return held;
    const h = await this.opts.repo.find<unknown>(`automerge:${documentId}` as AutomergeUrl, {
      allowableStates: ["ready", "unavailable"],
      signal: AbortSignal.timeout(this.opts.loadTimeoutMs ?? 10_000),
    });
    return h.isReady() ? h : null;
  }
}

const bare = (urlOrId: string) => urlOrId.replace("automerge:", "");
