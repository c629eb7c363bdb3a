import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { Ed25519 } from "./ed25519.js";
import type { BundleItem } from "./auditBundleFormat.js";
import { BundleItemReader, decodeBundleItem, encodeBundleItem } from "./auditBundleFormat.js";
import type { ClaimedSession, LedgerReport, PreparedRecord } from "./ledgerVerifier.js";
import { LedgerVerifier, signatureValid, sortRecords, verifyLedger } from "./ledgerVerifier.js";
import type { TrustAnchors } from "./trustAnchors.js";

export type { ClaimedSession } from "./ledgerVerifier.js";

/** An audit bundle held in memory: a site's certificates, records and claims. */
export interface AuditBundle {
  readonly version: 2;
  readonly siteId: string;
  readonly createdAtMs: number;
  /** Operator keys the site asserts; trusted only when no outside anchors are given. */
  readonly operatorKeys: ReadonlyArray<readonly [string, Uint8Array]>;
  readonly certificates: readonly Uint8Array[];
  readonly records: readonly Uint8Array[];
  readonly sessions: readonly ClaimedSession[];
}

export interface BundleReport extends LedgerReport {
  readonly siteId: string | null;
  readonly createdAtMs: number | null;
  /** End of the audited period the chains must reach (the auditor's, or the bundle's createdAtMs). */
  readonly periodEndMs: number | null;
}

export interface BundleVerifyOptions {
  /** Trust anchors from outside the bundle; null or absent: self-asserted. */
  readonly anchors?: TrustAnchors | null;
  /** End of the audited period; defaults to the bundle's createdAtMs. */
  readonly periodEndMs?: number | null;
}

/** The items of a bundle in container order (records sorted by meter, then seq). */
export function* bundleItems(b: AuditBundle): Generator<BundleItem> {
  yield { kind: "header", siteId: b.siteId, createdAtMs: b.createdAtMs };
  for (const [keyId, publicKey] of b.operatorKeys) yield { kind: "operatorKey", keyId, publicKey };
  for (const bytes of b.certificates) yield { kind: "certificate", bytes };
  for (const { shipped } of sortRecords(b.records)) yield { kind: "record", bytes: shipped };
  for (const claim of b.sessions) yield { kind: "claim", claim };
  yield { kind: "end", records: b.records.length, claims: b.sessions.length };
}

/** Encodes a bundle in the version 2 container (records sorted, so any input order gives the same bytes). */
export function encodeAuditBundle(b: AuditBundle): Uint8Array {
  const parts = [...bundleItems(b)].map(encodeBundleItem);
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Decodes a whole bundle held in memory; never throws: any malformed item is an error value. */
export function decodeAuditBundle(bytes: Uint8Array): Result<AuditBundle> {
  const reader = new BundleItemReader();
  const framed = reader.push(bytes);
  if (framed.error) return err(new ChargemeshError("malformed_cbor", `audit bundle: ${framed.error}`));
  if (reader.leftover() > 0)
    return err(
      new ChargemeshError(
        "malformed_cbor",
        `audit bundle: ${reader.leftover()} bytes of a cut item at the end`,
      ),
    );
  let header: { siteId: string; createdAtMs: number } | null = null;
  let ended = false;
  const b = {
    operatorKeys: [] as [string, Uint8Array][],
    certificates: [] as Uint8Array[],
    records: [] as Uint8Array[],
    sessions: [] as ClaimedSession[],
  };
  for (const [i, content] of framed.items.entries()) {
    const item = decodeBundleItem(content);
    if (!item.ok)
      return err(new ChargemeshError("malformed_cbor", `audit bundle item #${i}: ${item.error.message}`));
    const v = item.value;
    if ((i === 0) !== (v.kind === "header") || ended)
      return err(new ChargemeshError("malformed_cbor", `audit bundle item #${i} (${v.kind}) out of place`));
    if (v.kind === "header") header = v;
    else if (v.kind === "operatorKey") b.operatorKeys.push([v.keyId, v.publicKey]);
    else if (v.kind === "certificate") b.certificates.push(v.bytes);
    else if (v.kind === "record") b.records.push(v.bytes);
    else if (v.kind === "claim") b.sessions.push(v.claim);
    else ended = true;
  }
  if (!header || !ended)
    return err(
      new ChargemeshError(
        "malformed_cbor",
        "audit bundle: not a complete version 2 bundle (header first, end item last)",
      ),
    );
  return ok({ version: 2, siteId: header.siteId, createdAtMs: header.createdAtMs, ...b });
}

/**
 * Verifies an in-memory bundle (records in any order): chains, claims, totals, completeness
 * (docs/auditing.md). Without `anchors` the bundle's own operator keys are used and the verdict is
 * at best "self-asserted". Never throws.
 */
export function verifyAuditBundle(
  b: AuditBundle,
  ed: Pick<Ed25519, "verify">,
  opts: BundleVerifyOptions = {},
): BundleReport {
  const periodEndMs = opts.periodEndMs ?? b.createdAtMs;
  const report = verifyLedger(
    {
      bundleOperatorKeys: b.operatorKeys,
      certificates: b.certificates,
      records: b.records,
      claims: b.sessions,
    },
    opts.anchors ?? null,
    { ed, periodEndMs },
  );
  return { ...report, siteId: b.siteId, createdAtMs: b.createdAtMs, periodEndMs };
}

/**
 * Checks a bundle item by item, as it streams (bounded memory): the container's rules, then the
 * ledger verifier. `item` returns a record to signature-check (the caller may do it on worker
 * threads) and `accept` takes the result, in the same order as the items.
 */
export class BundleStreamChecker {
  private verifier: LedgerVerifier | null = null;
  private header: { siteId: string; createdAtMs: number } | null = null;
  private periodEndMs: number | null = null;
  private seen = { items: 0, records: 0, claims: 0 };
  private end: { records: number; claims: number } | null = null;
  private recordsStarted = false;

  constructor(private readonly opts: BundleVerifyOptions & { readonly ed: Pick<Ed25519, "verify"> }) {}

  /** Takes one framed item's content; returns the prepared record when it is one, else null. */
  item(content: Uint8Array): PreparedRecord | null {
    const index = this.seen.items++;
    const decoded = decodeBundleItem(content);
    const v = this.ledger(decoded.ok && decoded.value.kind === "header" ? decoded.value : null);
    if (!decoded.ok) {
      v.addBundleFinding(`item #${index}: ${decoded.error.message}`);
      return null;
    }
    const item = decoded.value;
    if (this.end) v.addBundleFinding(`item #${index} (${item.kind}) after the end item`);
    switch (item.kind) {
      case "header":
        if (index !== 0) v.addBundleFinding(`item #${index}: a second header`);
        return null;
      case "operatorKey":
      case "certificate":
        if (this.recordsStarted) v.addBundleFinding(`item #${index}: ${item.kind} after the first record`);
        if (item.kind === "operatorKey") v.addBundleOperatorKey(item.keyId, item.publicKey);
        else v.addCertificate(item.bytes);
        return null;
      case "record":
        this.recordsStarted = true;
        return v.prepare(item.bytes, this.seen.records++);
      case "claim":
        this.seen.claims++;
        v.addClaim(item.claim);
        return null;
      case "end":
        this.end ??= item;
        return null;
    }
  }

  /** The signature check's result for a record `item` returned, in item order. */
  accept(p: PreparedRecord, valid: boolean): void {
    this.ledger(null).accept(p, valid);
  }

  /** Ends the stream; `leftoverBytes` is what the framing reader could not complete. */
  finish(leftoverBytes: number, framingError: string | null = null): BundleReport {
    const v = this.ledger(null);
    if (framingError) v.addBundleFinding(framingError);
    if (leftoverBytes > 0)
      v.addBundleFinding(`${leftoverBytes} bytes of a cut item at the end: the file is truncated`);
    if (!this.end) v.addBundleFinding("no end item: the bundle is truncated or incomplete");
    else if (this.end.records !== this.seen.records || this.end.claims !== this.seen.claims) {
      v.addBundleFinding(
        `the end item counts ${this.end.records} records and ${this.end.claims} claims, the bundle holds ${this.seen.records} and ${this.seen.claims}`,
      );
    }
    return {
      ...v.finish(),
      siteId: this.header?.siteId ?? null,
      createdAtMs: this.header?.createdAtMs ?? null,
      periodEndMs: this.periodEndMs,
    };
  }

  private ledger(header: { siteId: string; createdAtMs: number } | null): LedgerVerifier {
    if (this.verifier) return this.verifier;
    this.header = header;
    this.periodEndMs = this.opts.periodEndMs ?? header?.createdAtMs ?? null;
    this.verifier = new LedgerVerifier({
      anchors: this.opts.anchors ?? null,
      checkClaims: true,
      periodEndMs: this.periodEndMs,
      ed: this.opts.ed,
    });
    if (!header) this.verifier.addBundleFinding("the first item is not a version 2 bundle header");
    return this.verifier;
  }
}

/** Verifies bundle bytes held in memory through the streaming checker (signatures on this thread). */
export function verifyBundleBytes(
  bytes: Uint8Array,
  ed: Pick<Ed25519, "verify">,
  opts: BundleVerifyOptions = {},
): BundleReport {
  const checker = new BundleStreamChecker({ ...opts, ed });
  const reader = new BundleItemReader();
  const framed = reader.push(bytes);
  for (const content of framed.items) {
    const p = checker.item(content);
    if (p) checker.accept(p, signatureValid(p, ed));
  }
  return checker.finish(reader.leftover(), framed.error);
}
