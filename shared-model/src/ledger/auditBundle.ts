import { Encoder } from "cbor-x";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import type { Ed25519 } from "./ed25519.js";
import type { ChainReport, Finding } from "./chainVerifier.js";
import { verifyChains } from "./chainVerifier.js";

/** What a site claims about one session; the verifier recomputes it from the signed records. */
export interface ClaimedSession {
  readonly sessionId: string;
  readonly stallId: string;
  readonly meterId: string;
  readonly contractId: string | null;
  readonly state: string;
  readonly energyWh: number | null;
}

/** A self-contained audit bundle: everything needed to verify a site's meter chains offline. */
export interface AuditBundle {
  readonly version: 1;
  readonly siteId: string;
  readonly createdAtMs: number;
  readonly operatorKeys: ReadonlyArray<readonly [string, Uint8Array]>;
  readonly certificates: readonly Uint8Array[];
  readonly records: readonly Uint8Array[];
  readonly sessions: readonly ClaimedSession[];
}

export interface BundleReport extends ChainReport {
  readonly deliveredWh: number;
  readonly sessionsWh: number;
}

const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });

/** Encodes a bundle as CBOR. */
export function encodeAuditBundle(b: AuditBundle): Uint8Array {
  return new Uint8Array(codec.encode({ ...b, operatorKeys: b.operatorKeys.map(([k, v]) => [k, v]) }));
}

/** Decodes a bundle; never throws: malformed CBOR or a wrong shape give an error value. */
export function decodeAuditBundle(bytes: Uint8Array): Result<AuditBundle> {
  let v: unknown;
  try {
    v = codec.decode(bytes);
  } catch (e) {
    return err(new ChargemeshError("malformed_cbor", `audit bundle is not CBOR: ${(e as Error).message}`));
  }
  const bad = (m: string) => err(new ChargemeshError("malformed_cbor", `audit bundle: ${m}`));
  if (typeof v !== "object" || v === null) return bad("not a map");
  const b = v as Record<string, unknown>;
  if (b.version !== 1) return bad(`unsupported version ${String(b.version)}`);
  const isBytesList = (x: unknown): x is Uint8Array[] => Array.isArray(x) && x.every((e) => e instanceof Uint8Array);
  if (typeof b.siteId !== "string" || typeof b.createdAtMs !== "number") return bad("siteId/createdAtMs");
  if (!isBytesList(b.certificates) || !isBytesList(b.records)) return bad("certificates and records must be lists of byte strings");
  if (!Array.isArray(b.operatorKeys) || !b.operatorKeys.every((p) => Array.isArray(p) && typeof p[0] === "string" && p[1] instanceof Uint8Array)) return bad("operatorKeys");
  if (!Array.isArray(b.sessions) || !b.sessions.every((s) => typeof s === "object" && s !== null && typeof (s as ClaimedSession).sessionId === "string")) return bad("sessions");
  return ok(b as unknown as AuditBundle);
}

/**
 * Verifies a bundle: the meter chains (chainVerifier), each claimed session's energy against the one
 * recomputed from its signed begin and end registers, and that the energy the meters delivered equals
 * the sum of the session energies.
 */
export function verifyAuditBundle(b: AuditBundle, ed: Ed25519): BundleReport {
  const chain = verifyChains({ certificates: b.certificates, operatorKeys: new Map(b.operatorKeys), records: b.records }, ed);
  const findings: Finding[] = [...chain.findings];
  const computed = new Map(chain.sessions.map((s) => [s.sessionId as string, s]));
  for (const claim of b.sessions) {
    const s = computed.get(claim.sessionId);
    if (claim.state === "completed" && (!s || !s.complete)) {
      findings.push({ code: "session_incomplete", message: `session ${claim.sessionId} is claimed completed but its signed begin/end records are not both present`, sessionId: claim.sessionId });
    } else if (s && claim.energyWh !== null && claim.energyWh !== s.energyWh) {
      findings.push({ code: "energy_mismatch", message: `session ${claim.sessionId}: claimed ${claim.energyWh} Wh, signed records say ${s.energyWh} Wh`, sessionId: claim.sessionId });
    }
  }
  // Energy delivered per meter (last register - first) must all be accounted for by sessions.
  const deliveredWh = chain.meters.reduce((a, m) => a + (m.lastRegisterWh - m.firstRegisterWh), 0);
  const sessionsWh = chain.sessions.reduce((a, s) => a + s.energyWh, 0);
  if (chain.findings.length === 0 && deliveredWh !== sessionsWh) {
    findings.push({ code: "total_mismatch", message: `meters delivered ${deliveredWh} Wh but sessions account for ${sessionsWh} Wh` });
  }
  return { ...chain, ok: findings.every((f) => f.code === "duplicate_record"), findings, deliveredWh, sessionsWh };
}
