import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import type { Logger } from "pino";
import type { Clock, Ed25519, MeterId } from "@chargemesh/shared-model";
import type { SiteRepo } from "./siteRepo.js";
import type { AutomergeLedgerStore, LedgerSegmentDoc } from "./automergeLedgerStore.js";
import type { AutomergeSessionJournal, DayJournal } from "./automergeSessionJournal.js";
import type { DamagedDocument } from "./storeIntegrity.js";
import { checkRepairCopy } from "./repairCopyCheck.js";
import { REPAIR_COPY, REPAIR_REQUEST, parseRepairAnswer } from "./documentRepairProtocol.js";
import type { RepairAnswer, RepairRequest } from "./documentRepairProtocol.js";

export interface DocumentRepairerOptions {
  readonly site: SiteRepo;
  readonly ledger: AutomergeLedgerStore;
  readonly journal: AutomergeSessionJournal;
  readonly clock: Clock;
  /** The libp2p peer IDs of the cloud peers the site dials: the only ones whose copies are considered. */
  readonly cloudPeers: readonly string[];
  readonly ed: Pick<Ed25519, "verify">;
  readonly log: Pick<Logger, "info" | "warn" | "error">;
  /** How long to wait for an answer before asking again, ms of the site clock (default 5 min). */
  readonly retryMs?: number;
}

/**
 * Takes damaged documents back from a cloud peer's copy. For every damaged entry in the site's
 * integrity register it asks its cloud peers (an ephemeral request on the site's root document), checks
 * the copy that comes back (`checkRepairCopy`: this site's writes only, nothing the site still holds
 * lost, the meter's chain verifying) and only then writes it back (the store, or the archive file with
 * a new sidecar), hands it to the ledger and journal, and marks it repaired so its alarm clears. A
 * refused copy stays out and the refusal shows in the alarm; the request is repeated after `retryMs`.
 */
export class DocumentRepairer {
  private readonly asked = new Map<string, { atMs: number; requestId: string }>();
  private readonly busy = new Set<string>();
  private readonly cloud: Set<string>;
  private off: (() => void) | null = null;
  /** Copies accepted and refused since start (tests and logs). */
  readonly counts = { requested: 0, accepted: 0, refused: 0, unavailable: 0 };

  constructor(private readonly opts: DocumentRepairerOptions) {
    this.cloud = new Set(opts.cloudPeers);
  }

  /** Starts listening for the cloud's answers on the root document. Idempotent. */
  start(): void {
    if (this.off) return;
    const root = this.opts.site.root;
    const onMessage = (e: { senderId: string; message: unknown }) => void this.receive(e.senderId, e.message);
    root.on("ephemeral-message", onMessage);
    this.off = () => void root.off("ephemeral-message", onMessage);
  }

  stop(): void {
    this.off?.();
    this.off = null;
  }

  /** Asks the cloud peers for every damaged document not asked for within `retryMs`. Never throws. */
  tick(): void {
    const now = this.opts.clock.now();
    for (const d of this.opts.site.integrity.pending()) {
      if (d.refetch) continue;
      const last = this.asked.get(d.documentId);
      if (last && now - last.atMs < (this.opts.retryMs ?? 300_000)) continue;
      const request: RepairRequest = {
        kind: REPAIR_REQUEST,
        documentId: d.documentId.replace("automerge:", ""),
        requestId: randomBytes(8).toString("hex"),
      };
      this.asked.set(d.documentId, { atMs: now, requestId: request.requestId });
      try {
        this.opts.site.root.broadcast(request);
        this.counts.requested++;
      } catch (e) {
        this.opts.log.warn({ document: d.documentId, err: (e as Error).message }, "repair request not sent");
      }
    }
  }

  private async receive(senderId: string, body: unknown): Promise<void> {
    const answer = parseRepairAnswer(body);
    if (!answer || !this.cloud.has(senderId)) return;
    const d = this.opts.site.integrity.pendingOf(answer.documentId);
    if (!d || this.busy.has(d.documentId)) return;
    this.busy.add(d.documentId);
    try {
      await this.answered(d, senderId, answer);
    } catch (e) {
      this.opts.site.integrity.attemptFailed(
        d.documentId,
        `restoring failed: ${(e as Error).message}`,
        false,
      );
      this.opts.log.error(
        { document: d.documentId, err: (e as Error).message },
        "restoring a repaired document failed",
      );
    } finally {
      this.busy.delete(d.documentId);
    }
  }

  private async answered(d: DamagedDocument, senderId: string, answer: RepairAnswer): Promise<void> {
    const { site, integrity } = { site: this.opts.site, integrity: this.opts.site.integrity };
    if (answer.kind !== REPAIR_COPY) {
      this.counts.unavailable++;
      integrity.attemptFailed(d.documentId, `cloud peer ${senderId} has no copy: ${answer.reason}`, false);
      return;
    }
    const root = site.root.doc();
    const check = checkRepairCopy(d, answer.bytes, {
      siteId: root.siteId,
      writer: site.writer,
      otherRecords: (m) => this.otherRecords(m, d.documentId),
      certificates: (m) => root.meterCertificates[m] ?? [],
      operatorKeys: new Map(Object.entries(root.operatorKeys)),
      ed: this.opts.ed,
    });
    if (!check.ok) {
      this.counts.refused++;
      integrity.attemptFailed(d.documentId, `copy from ${senderId} refused: ${check.why}`, true);
      this.opts.log.error(
        { document: d.documentId, file: d.file, peer: senderId, why: check.why },
        "cloud copy refused",
      );
      return;
    }
    if (d.where === "archive") site.restoreArchive(d.documentId, check.doc);
    else {
      const handle = await site.restoreDocument(d.documentId, check.doc);
      await site.flush([handle.documentId]);
      if (d.key.startsWith("segments/"))
        this.opts.ledger.adopt(d.documentId, handle.doc() as LedgerSegmentDoc);
      else this.opts.journal.adoptDay(handle.doc() as DayJournal);
    }
    integrity.repaired(d.documentId);
    this.counts.accepted++;
    this.opts.log.info(
      {
        document: d.documentId,
        key: d.key,
        file: d.file,
        peer: senderId,
        heads: A.getHeads(check.doc).length,
      },
      "damaged document restored from the cloud's verified copy",
    );
  }

  /** The meter's records the site holds besides `except`: live ones in memory and every readable archived segment. */
  private otherRecords(meterId: string, except: string): Uint8Array[] {
    const out = [...this.opts.ledger.records(meterId as MeterId)];
    const bare = except.replace("automerge:", "");
    for (const [key, url] of Object.entries(this.opts.site.root.doc().archived ?? {})) {
      if (!key.startsWith(`segments/${meterId}/`) || url.replace("automerge:", "") === bare) continue;
      if (this.opts.site.integrity.pendingOf(url)) continue;
      try {
        const doc = this.opts.site.archivedDocument<LedgerSegmentDoc>(url);
        out.push(...Object.values(doc.records).map((v) => new Uint8Array(v)));
      } catch {
        // An archive file that does not load is reported by the archive check; the chain check sees a gap.
      }
    }
    return out;
  }
}
