import { parseOcmf } from "@chargemesh/shared-model";

/** What one OCPP MeterValue list says in our units: register in integer Wh, power in integer W. */
export interface MeterFigures {
  readonly registerWh: number | null;
  readonly powerW: number | null;
  /** The certified meter's signed payload for `registerWh` (OCMF bytes), when it signed that register. */
  readonly signedPayload: Uint8Array | null;
  /** Signed data that was present but does not sign `registerWh` (kept out of the ledger). */
  readonly rejectedSignature: string | null;
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
 */
export function meterFigures(meterValues: unknown): MeterFigures {
  let registerWh: number | null = null;
  let powerW: number | null = null;
  let signedPayload: Uint8Array | null = null;
  let rejectedSignature: string | null = null;
  if (!Array.isArray(meterValues)) return { registerWh, powerW, signedPayload, rejectedSignature };
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
        registerWh = wh;
        signedPayload = null;
        const data = sv.signedMeterValue?.signedMeterData;
        if (typeof data === "string") {
          const bytes = signedMeterBytes(data);
          const parsed = bytes ? parseOcmf(bytes) : null;
          if (bytes && parsed?.ok && parsed.value.registerWh === wh) signedPayload = bytes;
          else
            rejectedSignature =
              parsed && !parsed.ok ? parsed.error.message : `signed value does not sign ${wh} Wh`;
        }
      } else if (measurand === "Power.Active.Import") {
        const exp = unitExponent(sv.unitOfMeasure?.unit, "W");
        const w = exp === null ? null : scaledInteger(sv.value, exp + multiplier);
        if (w !== null) powerW = w;
      }
    }
  }
  return { registerWh, powerW, signedPayload, rejectedSignature };
}
