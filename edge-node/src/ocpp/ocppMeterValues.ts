import { parseOcmf, verifyOcmf } from "@chargemesh/shared-model";

/** What one OCPP MeterValue list says in our units: register in integer Wh, power in integer W. */
export interface MeterFigures {
  readonly registerWh: number | null;
  readonly powerW: number | null;
  /** The certified meter's signed payload for `registerWh` (OCMF bytes), when it signed that register. */
  readonly signedPayload: Uint8Array | null;
  /** Signed data that was present but does not sign `registerWh` (kept out of the ledger): why. */
  readonly rejectedSignature: string | null;
  /**
   * The stable code of `rejectedSignature`: "bad_signature" (the certified meter's key does not verify
   * it) or "invalid_input" (not OCMF, or it signs another register); null when nothing was rejected.
   */
  readonly rejectedCode: "bad_signature" | "invalid_input" | null;
}

interface SampledValue {
  value?: unknown;
  measurand?: unknown;
  phase?: unknown;
  context?: unknown;
  unitOfMeasure?: { unit?: unknown; multiplier?: unknown };
  signedMeterValue?: { signedMeterData?: unknown; encodingMethod?: unknown };
}

/** Decimal text to integer units after scaling by 10^exp10, truncated toward zero; null when not a plain decimal. */
function scaledInteger(value: unknown, exp10: number): number | null {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return null;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(value));
  if (!m) return null;
  const digits = m[1]! + (m[2] ?? "");
  const shift = exp10 - (m[2]?.length ?? 0);
  const text =
    shift >= 0 ? digits + "0".repeat(shift) : digits.slice(0, Math.max(0, digits.length + shift)) || "0";
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

const unitExponent = (unit: unknown, base: string): number | null =>
  unit === undefined || unit === base ? 0 : unit === `k${base}` ? 3 : null;

/** The OCMF bytes of an OCPP signedMeterValue: base64 as the spec says, or the plain OCMF text some chargers send. */
export function signedMeterBytes(data: string): Uint8Array | null {
  if (data.startsWith("OCMF|")) return new TextEncoder().encode(data);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return null;
  return new Uint8Array(Buffer.from(data, "base64"));
}

/**
 * Reads the energy register (Energy.Active.Import.Register, the default measurand) and the active
 * power from OCPP meter values, without floating-point arithmetic on energy; per-phase values are
 * ignored in favour of totals. Never throws on hostile input: what does not parse is left out.
 * With `meterKey` (the certified meter's P-256 key, as provisioned for its meter certificate) a
 * signed value is also verified with it, and one that does not verify or does not sign its register
 * refuses that whole reading: the register is not taken from it, so it never reaches the ledger.
 * Without a key a signed value is only parsed (the ledger verifier checks it later).
 */
export function meterFigures(meterValues: unknown, meterKey: Uint8Array | null = null): MeterFigures {
  let registerWh: number | null = null;
  let powerW: number | null = null;
  let signedPayload: Uint8Array | null = null;
  let rejectedSignature: string | null = null;
  let rejectedCode: MeterFigures["rejectedCode"] = null;
  if (!Array.isArray(meterValues))
    return { registerWh, powerW, signedPayload, rejectedSignature, rejectedCode };
  for (const mv of meterValues as Array<{ sampledValue?: unknown }>) {
    if (!Array.isArray(mv?.sampledValue)) continue;
    for (const sv of mv.sampledValue as SampledValue[]) {
      if (sv.phase !== undefined) continue;
      const measurand = sv.measurand ?? "Energy.Active.Import.Register";
      const multiplier = typeof sv.unitOfMeasure?.multiplier === "number" ? sv.unitOfMeasure.multiplier : 0;
      if (measurand === "Energy.Active.Import.Register") {
        const exp = unitExponent(sv.unitOfMeasure?.unit, "Wh");
        const wh = exp === null ? null : scaledInteger(sv.value, exp + multiplier);
        if (wh === null || (registerWh !== null && wh < registerWh)) continue;
        const data = sv.signedMeterValue?.signedMeterData;
        const signed = typeof data === "string" ? checkSigned(data, wh, meterKey) : null;
        if (signed && !signed.ok) {
          rejectedSignature = signed.message;
          rejectedCode = signed.code;
          if (meterKey) continue;
        }
        registerWh = wh;
        signedPayload = signed?.ok ? signed.bytes : null;
      } else if (measurand === "Power.Active.Import") {
        const exp = unitExponent(sv.unitOfMeasure?.unit, "W");
        const w = exp === null ? null : scaledInteger(sv.value, exp + multiplier);
        if (w !== null) powerW = w;
      }
    }
  }
  return { registerWh, powerW, signedPayload, rejectedSignature, rejectedCode };
}

type SignedCheck =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly code: "bad_signature" | "invalid_input"; readonly message: string };

/** One signedMeterData against the register `wh` it comes with (and the meter's key, when known). */
function checkSigned(data: string, wh: number, meterKey: Uint8Array | null): SignedCheck {
  const bytes = signedMeterBytes(data);
  if (!bytes)
    return { ok: false, code: "invalid_input", message: "signed value is neither base64 nor OCMF text" };
  if (meterKey) {
    const v = verifyOcmf(bytes, meterKey, wh);
    if (v.ok) return { ok: true, bytes };
    return {
      ok: false,
      code: v.error.code === "bad_signature" ? "bad_signature" : "invalid_input",
      message: v.error.message,
    };
  }
  const parsed = parseOcmf(bytes);
  if (!parsed.ok) return { ok: false, code: "invalid_input", message: parsed.error.message };
  if (parsed.value.registerWh !== wh)
    return { ok: false, code: "invalid_input", message: `signed value does not sign ${wh} Wh` };
  return { ok: true, bytes };
}
