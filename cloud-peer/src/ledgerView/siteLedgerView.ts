import type * as A from "@automerge/automerge";
import type { AutomergeUrl, Repo } from "@automerge/automerge-repo";
import {
  INFORMATIONAL_CODES,
  dayJournalSchema,
  decodeSignedRecord,
  isFailing,
  ledgerSegmentSchema,
  readLedgerSegment,
  siteRootSchema,
  verifyLedger,
} from "@chargemesh/shared-model";
import type {
  ContractId,
  DayJournal,
  Ed25519,
  FindingCode,
  LedgerReport,
  LedgerSegment,
  MeterId,
  SessionEnergy,
  SessionId,
  SiteId,
  SiteRoot,
  SiteState,
  StallId,
  TrustAnchors,
} from "@chargemesh/shared-model";

/** How long a read waits for a document this repo does not hold yet. */
const FIND_TIMEOUT_MS = 3_000;

/** One session as the site's journal states it, with the energy its signed records prove. */
export interface VerifiedSession {
  readonly sessionId: SessionId;
  readonly day: string;
  readonly stallId: StallId;
  readonly meterId: MeterId;
  readonly contractId: ContractId | null;
  readonly state: SiteState;
  readonly startedAtMs: number;
  readonly endedAtMs: number | null;
  /** The journal's begin and end references, as (meter, seq). */
  readonly beginSeq: number | null;
  readonly endSeq: number | null;
  /**
   * End register minus begin register from records whose signatures, certificates, hash links and
   * sequence verified (no failing finding on the session's meter), and only when they are the records
   * the journal points to; null otherwise.
   */
  readonly energyWh: number | null;
  /** A record under the journal's begin or end key has equivocating values. */
  readonly equivocation: boolean;
  /** What the signed records say about the session (null when no verified record names it). */
  readonly signed: SessionEnergy | null;
  /** The journal's begin and end records, when each is a single record that verified on a meter with no failing finding and names this session. */
  readonly beginRecord: VerifiedRecord | null;
  readonly endRecord: VerifiedRecord | null;
}

/** A signed record the view verified, with the figures billing needs and its bytes as shipped. */
export interface VerifiedRecord {
  readonly seq: number;
  readonly registerWh: number;
  readonly meterTimeMs: number;
  readonly shipped: Uint8Array;
}

/** A document the view could not use, and why. */
export interface UnusableDocument {
  readonly url: string;
  readonly reason: "not_held" | "schema_invalid";
  readonly detail: string;
}

/** A site's ledger as this peer holds it, verified. */
export interface SiteLedger {
  readonly siteId: SiteId;
  readonly sessions: readonly VerifiedSession[];
  /** The (meter, seq) record keys of each ledger segment, by segment key, sorted. */
  readonly ledgerKeys: Readonly<Record<string, readonly string[]>>;
  /** The verifier's report over every record of the site's live segments. */
  readonly report: LedgerReport;
  /** Indexed documents left out (not held, or failing their schema); the view is partial when any. */
  readonly unusable: readonly UnusableDocument[];
}

export interface SiteLedgerOptions {
  /** The operator's trust anchors (from its PKI, never from the site); null: the site's own keys, reported as self-asserted. */
  readonly anchors: TrustAnchors | null;
  readonly ed: Pick<Ed25519, "verify">;
  /** Leaves out a document this peer holds but that is not its owner's (e.g. an owner view); default: the document as held. */
  readonly view?: (url: string, doc: A.Doc<unknown>) => unknown;
}

async function held(repo: Repo, url: string): Promise<A.Doc<unknown> | null> {
  try {
    const h = await repo.find<unknown>(url as AutomergeUrl, { signal: AbortSignal.timeout(FIND_TIMEOUT_MS) });
    return h.isReady() ? (h.doc() as A.Doc<unknown>) : null;
  } catch {
    return null;
  }
}

const issuesOf = (e: { issues: { path: (string | number)[]; message: string }[] }) =>
  e.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".")}: ${i.message}`)
    .join("; ");

/**
 * Reads a site's documents (live and archived) from `repo`, validates each against its schema, verifies
 * every signed record of its ledger segments (certificates under `anchors`, signatures, hash links, gapless
 * sequences, equivocation), and joins the journals' session facts with the verified energy. A pure
 * function of the documents held and the anchors, so every peer derives the same view. Null when the
 * root itself is not held or invalid; never throws on what peers sent.
 */
export async function readSiteLedger(
  repo: Repo,
  rootUrl: string,
  opts: SiteLedgerOptions,
): Promise<SiteLedger | null> {
  const view = opts.view ?? ((_u: string, d: A.Doc<unknown>) => d);
  const rawRoot = await held(repo, rootUrl);
  if (!rawRoot) return null;
  const rootParsed = siteRootSchema.safeParse(view(rootUrl, rawRoot));
  if (!rootParsed.success) return null;
  const root: SiteRoot = rootParsed.data;
  const unusable: UnusableDocument[] = [];
  const ledgerKeys: Record<string, string[]> = {};
  const records: Uint8Array[] = [];
  const byKey = new Map<string, { values: readonly Uint8Array[]; equivocation: boolean }>();
  const archived = Object.entries(root.archived ?? {});
  const segments = new Map([
    ...Object.entries(root.segments).map(([k, u]) => [k, u] as const),
    ...archived
      .filter(([k]) => k.startsWith("segments/"))
      .map(([k, u]) => [k.slice("segments/".length), u] as const),
  ]);
  const journals = new Map([
    ...Object.entries(root.journals),
    ...archived
      .filter(([k]) => k.startsWith("journals/"))
      .map(([k, u]) => [k.slice("journals/".length), u] as const),
  ]);
  for (const key of [...segments.keys()].sort()) {
    const url = segments.get(key)!;
    const raw = await held(repo, url);
    if (!raw) {
      unusable.push({ url, reason: "not_held", detail: `segment ${key}` });
      continue;
    }
    const parsed = ledgerSegmentSchema.safeParse(view(url, raw));
    if (!parsed.success) {
      unusable.push({ url, reason: "schema_invalid", detail: `segment ${key}: ${issuesOf(parsed.error)}` });
      continue;
    }
    const entries = readLedgerSegment(raw as A.Doc<LedgerSegment>);
    ledgerKeys[key] = entries.map((e) => e.key);
    for (const e of entries) {
      byKey.set(e.key, e);
      records.push(...e.values);
    }
  }
  const report = verifyLedger(
    {
      bundleOperatorKeys: Object.entries(root.operatorKeys),
      certificates: Object.values(root.meterCertificates).flat(),
      records,
      claims: null,
    },
    opts.anchors,
    { ed: opts.ed },
  );
  const signedBySession = new Map(report.sessions.map((s) => [s.sessionId as string, s]));
  const sessions: VerifiedSession[] = [];
  const failing = report.findings.filter(isFailing);
  const truncated = Object.entries(report.findingCounts).some(
    ([code, n]) =>
      !INFORMATIONAL_CODES.has(code as FindingCode) && n > failing.filter((f) => f.code === code).length,
  );
  const meterClean = (m: string) =>
    !truncated && !failing.some((f) => f.meterId === undefined || f.meterId === m);
  for (const day of [...journals.keys()].sort()) {
    const url = journals.get(day)!;
    const raw = await held(repo, url);
    if (!raw) {
      unusable.push({ url, reason: "not_held", detail: `journal ${day}` });
      continue;
    }
    const parsed = dayJournalSchema.safeParse(view(url, raw));
    if (!parsed.success) {
      unusable.push({ url, reason: "schema_invalid", detail: `journal ${day}: ${issuesOf(parsed.error)}` });
      continue;
    }
    const journal: DayJournal = parsed.data;
    for (const id of Object.keys(journal.sessions).sort()) {
      const s = journal.sessions[id]!;
      const signed = signedBySession.get(s.sessionId) ?? null;
      const equivocation = [s.begin, s.end].some(
        (r) => r !== null && byKey.get(`${r.meterId}/${r.seq}`)?.equivocation === true,
      );
      const verifiedRecord = (ref: { meterId: string; seq: number } | null): VerifiedRecord | null => {
        const entry = ref ? byKey.get(`${ref.meterId}/${ref.seq}`) : undefined;
        if (!ref || !entry || entry.equivocation || entry.values.length !== 1 || !meterClean(ref.meterId))
          return null;
        const decoded = decodeSignedRecord(entry.values[0]!);
        if (!decoded.ok) return null;
        const b = decoded.value.body;
        if (b.meterId !== ref.meterId || b.seq !== ref.seq || b.sessionId !== s.sessionId) return null;
        return {
          seq: b.seq,
          registerWh: b.registerWh,
          meterTimeMs: b.meterTimeMs,
          shipped: entry.values[0]!,
        };
      };
      const provenByRecords =
        signed !== null &&
        signed.complete &&
        meterClean(s.meterId) &&
        !equivocation &&
        s.begin !== null &&
        s.end !== null &&
        signed.beginSeq === s.begin.seq &&
        signed.endSeq === s.end.seq &&
        signed.meterId === s.meterId;
      sessions.push({
        sessionId: s.sessionId,
        day,
        stallId: s.stallId,
        meterId: s.meterId,
        contractId: s.contractId,
        state: s.state,
        startedAtMs: s.startedAtMs,
        endedAtMs: s.endedAtMs,
        beginSeq: s.begin?.seq ?? null,
        endSeq: s.end?.seq ?? null,
        energyWh: provenByRecords ? signed.energyWh : null,
        equivocation,
        signed,
        beginRecord: verifiedRecord(s.begin),
        endRecord: verifiedRecord(s.end),
      });
    }
  }
  return { siteId: root.siteId, sessions, ledgerKeys, report, unusable };
}
