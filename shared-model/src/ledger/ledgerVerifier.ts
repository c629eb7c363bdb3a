import type { MeterId, SessionId, StallId } from "../ids.js";
import { isTerminalSiteState } from "../documents/sessionLattice.js";
import type { SiteState } from "../documents/sessionLattice.js";
import type { Ed25519 } from "./ed25519.js";
import type { Finding } from "./findings.js";
import { FindingLog, INFORMATIONAL_CODES } from "./findings.js";
import type { MeterCertificate, SigningLocation } from "./meterCertificate.js";
import { verifyMeterCertificate } from "./meterCertificate.js";
import type { MeterRecordBody, SignedMeterRecord } from "./meterRecordTypes.js";
import { verifyOcmf } from "./ocmfPayload.js";
import { decodeSignedRecord, recordHash } from "./signedRecord.js";
import type { TrustAnchors } from "./trustAnchors.js";

/** What a site claims about one session; the verifier checks it against the signed records. */
export interface ClaimedSession {
  readonly sessionId: string;
  readonly stallId: string;
  readonly meterId: string;
  readonly contractId: string | null;
  readonly state: string;
  readonly energyWh: number | null;
}

export interface MeterSummary {
  readonly meterId: MeterId;
  /** Records whose signature verified and that entered the chain checks. */
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** Register at the first and last verified record (the delivered-energy window). */
  readonly firstRegisterWh: number;
  readonly lastRegisterWh: number;
  readonly firstTimeMs: number | null;
  readonly lastTimeMs: number | null;
  /** How the meter's key was certified, and where its records are signed. */
  readonly certifiedBy: "operator-certificate" | "none";
  readonly signingLocation: SigningLocation | null;
}

/** One session as the signed records say it: what billing may charge. */
export interface SessionEnergy {
  readonly sessionId: SessionId;
  readonly meterId: MeterId;
  readonly stallId: StallId;
  readonly beginSeq: number | null;
  readonly endSeq: number | null;
  readonly beginWh: number | null;
  /** Register at the end record, or at the last record of the session when it has no end. */
  readonly lastWh: number | null;
  /** lastWh - beginWh; 0 without a begin record. */
  readonly energyWh: number;
  /** Both a begin and an end record verified. */
  readonly complete: boolean;
  /** Meter time of the begin and of the end record (null without one): what rating needs. */
  readonly beginTimeMs: number | null;
  readonly endTimeMs: number | null;
  /** SHA-256 (hex) of the begin and the end record's shipped bytes: invoices name them byte for byte. */
  readonly beginRecordHash: string | null;
  readonly endRecordHash: string | null;
  /** The contract the session's (first) claim names: the site's word, no record signs it; null without one. */
  readonly claimedContractId: string | null;
}

export type Verdict = "verified" | "self-asserted" | "failed";

export interface LedgerReport {
  /** verified: no failing finding, trust from outside; self-asserted: no failing finding, keys from the bundle. */
  readonly verdict: Verdict;
  /** No failing finding (whatever the trust). */
  readonly ok: boolean;
  readonly trust: "anchored" | "self-asserted";
  readonly findings: readonly Finding[];
  /** Exact count per code (findings keeps at most MAX_FINDINGS_PER_CODE of each). */
  readonly findingCounts: Readonly<Record<string, number>>;
  readonly checks: {
    readonly claims: boolean;
    readonly timeCoverage: boolean;
    readonly meterRoster: boolean;
    readonly heads: boolean;
  };
  readonly recordsRead: number;
  readonly meters: readonly MeterSummary[];
  readonly sessions: readonly SessionEnergy[];
  /** Sum over meters of last - first verified register. */
  readonly deliveredWh: number;
  /** Sum of the sessions' energyWh. */
  readonly sessionsWh: number;
}

export interface LedgerVerifierOptions {
  /** Trust from outside; null means the bundle's own operator keys are used (verdict self-asserted). */
  readonly anchors: TrustAnchors | null;
  /** False for chain-only checks (no claims to compare: the cloud's ledger view, chain tests). */
  readonly checkClaims: boolean;
  /** End of the audited period (meter time, ms): a chain must reach within maxRecordGapMs of it. */
  readonly periodEndMs: number | null;
  /** Verifies certificates (and records, in `verifyLedger`). */
  readonly ed: Pick<Ed25519, "verify">;
}

/** A decoded record and the keys its signature may verify under; built by `prepare`. */
export interface PreparedRecord {
  readonly index: number;
  readonly shipped: Uint8Array;
  readonly record: SignedMeterRecord | null;
  readonly error: string | null;
  /** The meter's certified public keys (one per key epoch); empty for an unknown meter. */
  readonly keys: readonly Uint8Array[];
}

interface Mark {
  readonly seq: number;
  readonly registerWh: number;
  readonly timeMs: number;
}

interface MeterState {
  readonly meterId: MeterId;
  readonly certs: readonly MeterCertificate[];
  records: number;
  first: Mark | null;
  last: Mark | null;
  /** Highest seq seen (valid or not) and the hashes seen at it. */
  seenSeq: number | null;
  seenHashes: Uint8Array[];
  validHashes: Uint8Array[];
}

interface SessionState {
  readonly meterId: MeterId;
  readonly stallId: StallId;
  begin: Mark | null;
  end: Mark | null;
  last: Mark | null;
  beginHash: Uint8Array | null;
  endHash: Uint8Array | null;
}

const hexOf = (b: Uint8Array | null) =>
  b === null ? null : Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const ZERO_HASH = new Uint8Array(32);
const sameBytes = (a: Uint8Array, b: Uint8Array) => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
const SITE_STATES: ReadonlySet<string> = new Set([
  "authorizing",
  "charging",
  "stopping",
  "completed",
  "rejected",
  "failed",
]);

/**
 * The streaming ledger verifier (docs/auditing.md "Verification"): operator keys, then certificates,
 * then records (each meter's in ascending seq; meters may interleave), then claims, then `finish`.
 * Memory grows with meters and sessions, never with records; work per record is constant, whatever
 * the numbers inside it. Never throws on hostile input: every problem is a finding. Every check runs
 * on every input; an informational note never switches a check off.
 */
export class LedgerVerifier {
  private readonly log = new FindingLog();
  private readonly operatorKeys = new Map<string, Uint8Array>();
  private readonly certs = new Map<MeterId, MeterCertificate[]>();
  private readonly meters = new Map<MeterId, MeterState>();
  private readonly sessions = new Map<SessionId, SessionState>();
  private readonly claims: ClaimedSession[] = [];
  private recordsRead = 0;
  private certificatesRead = 0;
  private readonly headsReached = new Set<string>();

  constructor(private readonly opts: LedgerVerifierOptions) {
    if (opts.anchors) for (const [id, k] of opts.anchors.operatorKeys) this.operatorKeys.set(id, k);
  }

  /** An operator key the bundle carries: used only without anchors; with anchors it must match one. */
  addBundleOperatorKey(keyId: string, publicKey: Uint8Array): void {
    const anchored = this.opts.anchors?.operatorKeys.get(keyId);
    if (!this.opts.anchors) this.operatorKeys.set(keyId, publicKey);
    else if (!anchored || !sameBytes(anchored, publicKey)) {
      this.add({
        code: "untrusted_operator_key",
        message: `the bundle carries operator key ${keyId}, which is not among the trust anchors (or differs from the anchored key of that ID)`,
      });
    }
  }

  /** A meter certificate; must come before the meter's records. */
  addCertificate(shipped: Uint8Array): void {
    const index = this.certificatesRead++;
    const c = verifyMeterCertificate(shipped, this.operatorKeys, this.opts.ed);
    if (!c.ok)
      return this.add({
        code: "bad_certificate",
        message: `certificate #${index}: ${c.error.message}`,
        index,
      });
    if (this.meters.has(c.value.body.meterId)) {
      return this.add({
        code: "malformed_bundle",
        message: `certificate #${index} for meter ${c.value.body.meterId} comes after that meter's records; ignored`,
        index,
        meterId: c.value.body.meterId,
      });
    }
    this.certs.set(c.value.body.meterId, [...(this.certs.get(c.value.body.meterId) ?? []), c.value]);
  }

  /** Decodes the next record and names the keys its signature must verify under. Never throws. */
  prepare(shipped: Uint8Array, index: number = this.recordsRead): PreparedRecord {
    this.recordsRead++;
    const r = decodeSignedRecord(shipped);
    if (!r.ok) return { index, shipped, record: null, error: r.error.message, keys: [] };
    return {
      index,
      shipped,
      record: r.value,
      error: null,
      keys: (this.certs.get(r.value.body.meterId) ?? []).map((c) => c.body.publicKey),
    };
  }

  /** Feeds a prepared record with the result of its signature check (true: one of `keys` verifies). */
  accept(p: PreparedRecord, signatureValid: boolean): void {
    if (!p.record)
      return this.add({
        code: "malformed_record",
        message: `record #${p.index}: ${p.error}`,
        index: p.index,
      });
    const body = p.record.body;
    const m = this.meter(body.meterId);
    const at = { meterId: body.meterId as string, seq: body.seq, index: p.index };
    // Records of a meter without a valid certificate are named once (unknown_meter) and take no part.
    if (m.certs.length === 0) return;
    if (m.seenSeq !== null && body.seq < m.seenSeq) {
      return this.add({
        code: "record_out_of_order",
        message: `meter ${body.meterId} seq ${body.seq} (record #${p.index}) comes after seq ${m.seenSeq}; a bundle lists each meter's records in ascending seq; ignored`,
        ...at,
      });
    }
    const hash = recordHash(p.shipped);
    if (m.seenSeq === body.seq) {
      if (m.seenHashes.some((h) => sameBytes(h, hash))) {
        return this.add({
          code: "duplicate_record",
          message: `record #${p.index} repeats meter ${body.meterId} seq ${body.seq} byte for byte`,
          ...at,
        });
      }
      m.seenHashes.push(hash);
      if (!signatureValid) return this.badSignature(p, body);
      if (m.validHashes.length > 0)
        this.add({
          code: "equivocation",
          message: `meter ${body.meterId} seq ${body.seq}: a second, different validly signed record (#${p.index})`,
          ...at,
        });
      m.validHashes.push(hash);
      return;
    }
    const prevValid = m.seenSeq === body.seq - 1 ? m.validHashes : [];
    if (m.seenSeq === null ? body.seq > 0 : body.seq > m.seenSeq + 1) {
      const from = m.seenSeq === null ? 0 : m.seenSeq + 1;
      this.add({
        code: "sequence_gap",
        message: `meter ${body.meterId}: records seq ${from}${body.seq - 1 > from ? `..${body.seq - 1}` : ""} are missing`,
        meterId: body.meterId,
        seq: from,
        toSeq: body.seq - 1,
      });
    }
    m.seenSeq = body.seq;
    m.seenHashes = [hash];
    m.validHashes = [];
    if (!signatureValid) return this.badSignature(p, body);
    m.validHashes = [hash];
    if (
      body.seq === 0
        ? !sameBytes(body.prevHash, ZERO_HASH)
        : prevValid.length > 0 && !prevValid.some((h) => sameBytes(h, body.prevHash))
    ) {
      this.add({
        code: "broken_hash_link",
        message: `meter ${body.meterId} seq ${body.seq} (record #${p.index}) does not link to ${body.seq === 0 ? "the genesis (32 zero bytes)" : `seq ${body.seq - 1}`}`,
        ...at,
      });
    }
    const last = m.last;
    if (last && body.registerWh < last.registerWh) {
      this.add({
        code: "register_regressed",
        message: `meter ${body.meterId} seq ${body.seq}: register ${body.registerWh} Wh < ${last.registerWh} Wh at seq ${last.seq}`,
        ...at,
      });
    }
    if (last && body.meterTimeMs < last.timeMs)
      this.add({
        code: "meter_time_regressed",
        message: `meter ${body.meterId} seq ${body.seq}: meter time goes backwards`,
        ...at,
      });
    const maxGap = this.opts.anchors?.maxRecordGapMs ?? null;
    if (last && maxGap !== null && body.meterTimeMs - last.timeMs > maxGap) {
      this.add({
        code: "time_gap",
        message: `meter ${body.meterId}: ${body.meterTimeMs - last.timeMs} ms of meter time between seq ${last.seq} and seq ${body.seq} without a record (at most ${maxGap} ms)`,
        ...at,
      });
    }
    if (body.meterPayload !== null) this.checkPayload(m, body, p.index);
    const head = this.opts.anchors?.heads?.get(body.meterId);
    if (head && head.seq === body.seq) {
      if (sameBytes(head.hash, hash)) this.headsReached.add(body.meterId);
      else
        this.add({
          code: "head_mismatch",
          message: `meter ${body.meterId} seq ${body.seq} (record #${p.index}) is not the record the operator holds as that meter's head: the chain forks`,
          ...at,
        });
    }
    const mark = { seq: body.seq, registerWh: body.registerWh, timeMs: body.meterTimeMs };
    m.records++;
    m.first ??= mark;
    m.last = mark;
    if (body.sessionId !== null) this.sessionRecord(body, mark, p.index, hash);
  }

  /** A claim about a session (claims come after the records). */
  addClaim(claim: ClaimedSession): void {
    this.claims.push(claim);
  }

  /** A structural problem of the bundle container (reported by the reader). */
  addBundleFinding(message: string): void {
    this.add({ code: "malformed_bundle", message });
  }

  /** Runs the end-of-input checks and returns the report. */
  finish(): LedgerReport {
    const { anchors, periodEndMs } = this.opts;
    const maxGap = anchors?.maxRecordGapMs ?? null;
    const meters: MeterSummary[] = [];
    for (const m of [...this.meters.values()].sort((a, b) =>
      a.meterId < b.meterId ? -1 : a.meterId > b.meterId ? 1 : 0,
    )) {
      if (maxGap !== null && periodEndMs !== null && m.last && periodEndMs - m.last.timeMs > maxGap) {
        this.add({
          code: "chain_tail_missing",
          message: `meter ${m.meterId}: the last record (seq ${m.last.seq}) is ${periodEndMs - m.last.timeMs} ms older than the end of the audited period (at most ${maxGap} ms): the chain's tail is missing`,
          meterId: m.meterId,
          seq: m.last.seq,
        });
      }
      const cert = m.certs.at(-1);
      meters.push({
        meterId: m.meterId,
        records: m.records,
        firstSeq: m.first?.seq ?? null,
        lastSeq: m.last?.seq ?? null,
        firstRegisterWh: m.first?.registerWh ?? 0,
        lastRegisterWh: m.last?.registerWh ?? 0,
        firstTimeMs: m.first?.timeMs ?? null,
        lastTimeMs: m.last?.timeMs ?? null,
        certifiedBy: cert ? "operator-certificate" : "none",
        signingLocation: cert?.body.signingLocation ?? null,
      });
    }
    for (const [id, head] of anchors?.heads ?? []) {
      const last = this.meters.get(id as MeterId)?.last;
      if (!this.headsReached.has(id) && (!last || last.seq < head.seq)) {
        this.add({
          code: "chain_head_missing",
          message: `meter ${id}: the operator holds the chain to seq ${head.seq}, the bundle's verified chain ends at ${last ? `seq ${last.seq}` : "no record"}: records are missing`,
          meterId: id,
          seq: head.seq,
        });
      }
    }
    for (const id of anchors?.meters ?? []) {
      if (!(this.meters.get(id as MeterId)?.records ?? 0))
        this.add({
          code: "meter_missing",
          message: `meter ${id} is registered in the trust anchors but the bundle holds no verified record of it`,
          meterId: id,
        });
    }
    if (meters.every((m) => m.records === 0))
      this.add({
        code: "empty_bundle",
        message: `the bundle holds no verified record (${this.recordsRead} read)`,
      });
    const claimedContract = new Map<string, string | null>();
    for (const c of this.claims)
      if (!claimedContract.has(c.sessionId)) claimedContract.set(c.sessionId, c.contractId);
    const sessions: SessionEnergy[] = [...this.sessions].map(([sessionId, s]) => ({
      sessionId,
      meterId: s.meterId,
      stallId: s.stallId,
      beginSeq: s.begin?.seq ?? null,
      endSeq: s.end?.seq ?? null,
      beginWh: s.begin?.registerWh ?? null,
      lastWh: (s.end ?? s.last)?.registerWh ?? null,
      energyWh: s.begin ? (s.end ?? s.last ?? s.begin).registerWh - s.begin.registerWh : 0,
      complete: s.begin !== null && s.end !== null,
      beginTimeMs: s.begin?.timeMs ?? null,
      endTimeMs: s.end?.timeMs ?? null,
      beginRecordHash: hexOf(s.beginHash),
      endRecordHash: hexOf(s.endHash),
      claimedContractId: claimedContract.get(sessionId) ?? null,
    }));
    if (this.opts.checkClaims) this.checkClaims(new Map(sessions.map((s) => [s.sessionId as string, s])));
    const deliveredWh = meters.reduce((a, m) => a + (m.lastRegisterWh - m.firstRegisterWh), 0);
    const sessionsWh = sessions.reduce((a, s) => a + s.energyWh, 0);
    // With claims (a whole site's bundle) every Wh the meters delivered must belong to a session.
    if (this.opts.checkClaims && deliveredWh !== sessionsWh)
      this.add({
        code: "total_mismatch",
        message: `meters delivered ${deliveredWh} Wh but sessions account for ${sessionsWh} Wh`,
      });
    const ok = this.log.failing() === 0;
    const trust = anchors ? "anchored" : "self-asserted";
    return {
      verdict: !ok ? "failed" : trust === "anchored" ? "verified" : "self-asserted",
      ok,
      trust,
      findings: this.log.kept,
      findingCounts: this.log.countsObject(),
      checks: {
        claims: this.opts.checkClaims,
        timeCoverage: maxGap !== null,
        meterRoster: anchors?.meters != null,
        heads: anchors?.heads != null,
      },
      recordsRead: this.recordsRead,
      meters,
      sessions,
      deliveredWh,
      sessionsWh,
    };
  }

  private checkClaims(signed: ReadonlyMap<string, SessionEnergy>): void {
    const claimed = new Set<string>();
    for (const c of this.claims) {
      const at = { sessionId: c.sessionId };
      if (claimed.has(c.sessionId)) {
        this.add({
          code: "duplicate_claim",
          message: `session ${c.sessionId} is claimed more than once`,
          ...at,
        });
        continue;
      }
      claimed.add(c.sessionId);
      const s = signed.get(c.sessionId);
      const terminal = SITE_STATES.has(c.state) && isTerminalSiteState(c.state as SiteState);
      if (!s) {
        // A session that never charged (still authorizing, or rejected/failed before its begin) and claims no energy has no records to show.
        const neverCharged =
          c.energyWh === null &&
          (c.state === "authorizing" || c.state === "rejected" || c.state === "failed");
        if (!neverCharged)
          this.add({
            code: "claim_without_records",
            message: `session ${c.sessionId} is claimed (${c.state}, ${c.energyWh ?? "no"} Wh) but no verified record carries it`,
            ...at,
          });
        continue;
      }
      const mismatch = (field: string, claimedValue: unknown, signedValue: unknown) =>
        this.add({
          code: "claim_mismatch",
          message: `session ${c.sessionId}: claimed ${field} ${String(claimedValue)}, signed records say ${String(signedValue)}`,
          ...at,
          field,
        });
      if (c.meterId !== s.meterId) mismatch("meterId", c.meterId, s.meterId);
      if (c.stallId !== s.stallId) mismatch("stallId", c.stallId, s.stallId);
      if (!SITE_STATES.has(c.state)) {
        mismatch("state", c.state, "a site session state");
        continue;
      }
      if (!terminal && c.energyWh === null) {
        // The site's journal lags its signed records (a crash between the two writes): it claims nothing yet.
        if (s.endSeq !== null)
          this.add({
            code: "claim_behind_records",
            message: `session ${c.sessionId} is claimed ${c.state} with no energy, its signed records already end (seq ${s.endSeq})`,
            ...at,
          });
        continue;
      }
      if (terminal && !s.complete) {
        this.add({
          code: "session_incomplete",
          message: `session ${c.sessionId} is claimed ${c.state} but its signed begin and end records are not both present`,
          ...at,
        });
      } else if (!terminal && s.endSeq !== null)
        mismatch("state", c.state, `an end record (seq ${s.endSeq})`);
      // An open session may claim no energy yet; a complete one must claim exactly the signed energy.
      if (c.energyWh === null ? s.complete : c.energyWh !== s.energyWh) {
        this.add({
          code: "energy_mismatch",
          message: `session ${c.sessionId}: claimed ${c.energyWh ?? "no"} Wh, signed records say ${s.energyWh} Wh`,
          ...at,
        });
      }
    }
    for (const id of signed.keys()) {
      if (!claimed.has(id))
        this.add({
          code: "session_without_claim",
          message: `session ${id} has signed records but no claim`,
          sessionId: id,
        });
    }
  }

  private sessionRecord(body: MeterRecordBody, mark: Mark, index: number, hash: Uint8Array): void {
    const id = body.sessionId!;
    let s = this.sessions.get(id);
    const at = { meterId: body.meterId as string, seq: body.seq, index, sessionId: id as string };
    if (!s)
      this.sessions.set(
        id,
        (s = {
          meterId: body.meterId,
          stallId: body.stallId,
          begin: null,
          end: null,
          last: null,
          beginHash: null,
          endHash: null,
        }),
      );
    else if (s.meterId !== body.meterId || s.stallId !== body.stallId) {
      return this.add({
        code: "session_inconsistent",
        message: `session ${id}: record #${index} is on meter ${body.meterId} stall ${body.stallId}, the session's first record on meter ${s.meterId} stall ${s.stallId}`,
        ...at,
      });
    }
    const problem =
      body.kind === "begin" && s.last !== null
        ? "a begin record after the session's first record"
        : s.end !== null
          ? `a ${body.kind} record after the session's end`
          : s.begin === null && body.kind !== "begin" && s.last === null
            ? `its first record is a ${body.kind}, not a begin`
            : null;
    if (problem)
      this.add({
        code: "session_inconsistent",
        message: `session ${id}: ${problem} (meter ${body.meterId} seq ${body.seq})`,
        ...at,
      });
    if (body.kind === "begin" && s.begin === null && s.last === null) {
      s.begin = mark;
      s.beginHash = hash;
    }
    if (body.kind === "end" && s.end === null) {
      s.end = mark;
      s.endHash = hash;
    }
    s.last = mark;
  }

  private checkPayload(m: MeterState, body: MeterRecordBody, index: number): void {
    const key = m.certs.find((c) => c.body.payloadPublicKey !== null)?.body.payloadPublicKey ?? null;
    const check = key ? verifyOcmf(body.meterPayload!, key, body.registerWh) : null;
    if (!check?.ok) {
      const why = check ? check.error.message : "the meter's certificate names no payload key";
      this.add({
        code: "bad_meter_payload",
        message: `meter ${body.meterId} seq ${body.seq} (record #${index}): ${why}`,
        meterId: body.meterId,
        seq: body.seq,
        index,
      });
    }
  }

  private badSignature(p: PreparedRecord, body: MeterRecordBody): void {
    this.add({
      code: "bad_signature",
      message: `meter ${body.meterId} seq ${body.seq} (record #${p.index}): signature does not verify with the meter's certified key`,
      meterId: body.meterId,
      seq: body.seq,
      index: p.index,
    });
  }

  private meter(meterId: MeterId): MeterState {
    let m = this.meters.get(meterId);
    if (!m) {
      const certs = this.certs.get(meterId) ?? [];
      if (certs.length === 0)
        this.add({
          code: "unknown_meter",
          message: `meter ${meterId} has no valid certificate: its records cannot be trusted`,
          meterId,
        });
      m = {
        meterId,
        certs,
        records: 0,
        first: null,
        last: null,
        seenSeq: null,
        seenHashes: [],
        validHashes: [],
      };
      this.meters.set(meterId, m);
    }
    return m;
  }

  private add(f: Finding): void {
    this.log.add(f);
  }
}

/** True iff one of `keys` verifies the record's signature. */
export function signatureValid(p: PreparedRecord, ed: Pick<Ed25519, "verify">): boolean {
  return p.record !== null && p.keys.some((k) => ed.verify(p.record!.signature, p.record!.bodyBytes, k));
}

export interface LedgerInput {
  /** Operator keys the bundle carries (used only without anchors). */
  readonly bundleOperatorKeys?: Iterable<readonly [string, Uint8Array]>;
  readonly certificates: readonly Uint8Array[];
  /** Shipped records, in any order. */
  readonly records: readonly Uint8Array[];
  /** The site's claims; null to skip the claim checks (chain-only verification). */
  readonly claims: readonly ClaimedSession[] | null;
}

export interface VerifyLedgerOptions {
  readonly ed: Pick<Ed25519, "verify">;
  readonly periodEndMs?: number | null;
}

/**
 * Verifies records and claims held in memory against the trust anchors (null: self-asserted, with the
 * bundle's keys): the API billing uses. Records may come in any order (they are sorted by meter, seq
 * and bytes first, so the report does not depend on the order). Never throws.
 */
export function verifyLedger(
  input: LedgerInput,
  anchors: TrustAnchors | null,
  opts: VerifyLedgerOptions,
): LedgerReport {
  const v = new LedgerVerifier({
    anchors,
    checkClaims: input.claims !== null,
    periodEndMs: opts.periodEndMs ?? null,
    ed: opts.ed,
  });
  for (const [id, k] of input.bundleOperatorKeys ?? []) v.addBundleOperatorKey(id, k);
  for (const c of input.certificates) v.addCertificate(c);
  for (const { shipped, index } of sortRecords(input.records)) {
    const p = v.prepare(shipped, index);
    v.accept(p, signatureValid(p, opts.ed));
  }
  for (const c of input.claims ?? []) v.addClaim(c);
  return v.finish();
}

const compareBytes = (a: Uint8Array, b: Uint8Array) => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

/** Records with their input positions, sorted by (meter, seq, bytes); undecodable ones first. */
export function sortRecords(records: readonly Uint8Array[]): { shipped: Uint8Array; index: number }[] {
  const keyed = records.map((shipped, i) => {
    const r = decodeSignedRecord(shipped);
    return {
      shipped,
      i,
      meter: r.ok ? (r.value.body.meterId as string) : null,
      seq: r.ok ? r.value.body.seq : -1,
    };
  });
  keyed.sort((a, b) => {
    if (a.meter === null || b.meter === null)
      return a.meter === b.meter ? a.i - b.i : a.meter === null ? -1 : 1;
    if (a.meter !== b.meter) return a.meter < b.meter ? -1 : 1;
    return a.seq - b.seq || compareBytes(a.shipped, b.shipped);
  });
  return keyed.map((k) => ({ shipped: k.shipped, index: k.i }));
}

/** Whether a finding fails verification. */
export const isFailing = (f: Finding) => !INFORMATIONAL_CODES.has(f.code);
