import { p256 } from "@noble/curves/nist.js";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";

/**
 * The second signature layer of a certified (Eichrecht) meter: its own OCMF payload,
 * `OCMF|{payload JSON}|{"SA":"ECDSA-secp256r1-SHA256","SD":"<hex DER signature>"}`, carried byte
 * for byte in the record's `meterPayload` and checked against the meter's P-256 key from its
 * certificate. The reading (`RD[0].RV` with unit `RU`) must equal the record's register.
 */
export interface OcmfReading {
  readonly payloadJson: string;
  readonly signatureDer: Uint8Array;
  /** The register the meter signed, integer Wh (from the decimal text, never through a float). */
  readonly registerWh: number;
}

const text = new TextDecoder("utf-8", { fatal: true });
const enc = new TextEncoder();

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) return null;
  return Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16)));
}

/** Decimal text in `unit` (Wh or kWh) to integer Wh, exactly; null when not exact or malformed. */
function toWh(value: string, unit: string): number | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return null;
  const scale = unit === "kWh" ? 3 : unit === "Wh" ? 0 : -1;
  if (scale < 0) return null;
  const frac = (m[2] ?? "").replace(/0+$/, "");
  if (frac.length > scale) return null;
  const wh = Number(m[1]! + frac.padEnd(scale, "0"));
  return Number.isSafeInteger(wh) ? wh : null;
}

/** Parses an OCMF string; never throws. */
export function parseOcmf(bytes: Uint8Array): Result<OcmfReading> {
  const bad = (m: string) => err(new ChargemeshError("invalid_input", `OCMF: ${m}`));
  let s: string;
  try {
    s = text.decode(bytes);
  } catch {
    return bad("not UTF-8");
  }
  const first = s.indexOf("|");
  const last = s.lastIndexOf("|");
  if (s.slice(0, first) !== "OCMF" || last <= first) return bad("expected OCMF|payload|signature");
  const payloadJson = s.slice(first + 1, last);
  let sig: unknown;
  let payload: unknown;
  try {
    sig = JSON.parse(s.slice(last + 1));
    payload = JSON.parse(payloadJson);
  } catch {
    return bad("payload or signature section is not JSON");
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(sig) || !isObject(payload)) return bad("payload and signature sections must be JSON objects");
  if (sig.SA !== "ECDSA-secp256r1-SHA256" || typeof sig.SD !== "string")
    return bad("unsupported signature algorithm");
  const signatureDer = hexToBytes(sig.SD);
  if (!signatureDer) return bad("signature is not hex");
  // Read RV as its decimal text, not as a JavaScript number.
  const rv = /"RV"\s*:\s*"?(\d+(?:\.\d+)?)"?/.exec(payloadJson)?.[1];
  const ru = /"RU"\s*:\s*"([^"]+)"/.exec(payloadJson)?.[1];
  const registerWh = rv && ru ? toWh(rv, ru) : null;
  if (registerWh === null) return bad("no exact reading (RD[0].RV in Wh or kWh)");
  return ok({ payloadJson, signatureDer, registerWh });
}

/** Verifies the meter's OCMF signature with its P-256 public key and the reading against `registerWh`. */
export function verifyOcmf(
  bytes: Uint8Array,
  p256PublicKey: Uint8Array,
  registerWh: number,
): Result<OcmfReading> {
  const parsed = parseOcmf(bytes);
  if (!parsed.ok) return parsed;
  let valid = false;
  try {
    valid = p256.verify(parsed.value.signatureDer, enc.encode(parsed.value.payloadJson), p256PublicKey, {
      format: "der",
      lowS: false,
    });
  } catch {
    valid = false;
  }
  if (!valid)
    return err(new ChargemeshError("bad_signature", "OCMF: the meter's own signature does not verify"));
  if (parsed.value.registerWh !== registerWh) {
    return err(
      new ChargemeshError(
        "invalid_input",
        `OCMF: meter signed ${parsed.value.registerWh} Wh but the record says ${registerWh} Wh`,
      ),
    );
  }
  return parsed;
}

/** Builds a signed OCMF string (what a certified meter produces; the simulator and tests use it). */
export function signOcmf(payload: Record<string, unknown>, p256SecretKey: Uint8Array): Uint8Array {
  const payloadJson = JSON.stringify(payload);
  const sd = p256.sign(enc.encode(payloadJson), p256SecretKey, { format: "der" });
  const hex = Array.from(sd, (b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
  return enc.encode(`OCMF|${payloadJson}|{"SA":"ECDSA-secp256r1-SHA256","SD":"${hex}"}`);
}
