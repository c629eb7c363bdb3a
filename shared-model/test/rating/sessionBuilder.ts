import {
  ocpiTariffSchema,
  cdrSessionSchema,
  formatDecimal,
  exact,
  rateCdrSession,
} from "@chargemesh/shared-model";
import type { OcpiTariffInput, SessionRating, CdrSession } from "@chargemesh/shared-model";

/** One stretch of a test session: a charging period (with energy), a parking period, or a reservation. */
export interface Part {
  readonly kind: "charging" | "parking" | "reservation";
  readonly minutes: number;
  readonly kwh?: string;
  readonly minCurrent?: string;
  readonly maxCurrent?: string;
  readonly maxPower?: string;
}

/** A CDR-style session of consecutive periods starting at `startIso` in `zone`. */
export function cdrSession(startIso: string, parts: readonly Part[], zone = "Europe/Berlin"): CdrSession {
  let t = Date.parse(startIso);
  const periods = parts.map((p) => {
    const dims: { type: string; volume: string }[] = [];
    const hours = formatDecimal(exact.rat(p.minutes, 60));
    if (p.kind === "charging") {
      dims.push({ type: "ENERGY", volume: p.kwh ?? "0" }, { type: "TIME", volume: hours });
      if (p.minCurrent) dims.push({ type: "MIN_CURRENT", volume: p.minCurrent });
      if (p.maxCurrent) dims.push({ type: "MAX_CURRENT", volume: p.maxCurrent });
      if (p.maxPower) dims.push({ type: "MAX_POWER", volume: p.maxPower });
    } else dims.push({ type: p.kind === "parking" ? "PARKING_TIME" : "RESERVATION_TIME", volume: hours });
    const period = { start_date_time: new Date(t).toISOString(), dimensions: dims };
    t += p.minutes * 60_000;
    return period;
  });
  return cdrSessionSchema.parse({
    start_date_time: startIso,
    end_date_time: new Date(t).toISOString(),
    time_zone: zone,
    charging_periods: periods,
  });
}

/** Rates and unwraps (a failed rating fails the test with its message). */
export function rated(tariff: OcpiTariffInput, session: CdrSession): SessionRating {
  const r = rateCdrSession(ocpiTariffSchema.parse(tariff), session);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

/** A tariff in the examples' frame (country DE, party ALL, EUR) with the given elements. */
export function tariff(
  id: string,
  elements: OcpiTariffInput["elements"],
  extra: Partial<OcpiTariffInput> = {},
): OcpiTariffInput {
  return {
    country_code: "DE",
    party_id: "ALL",
    id,
    currency: "EUR",
    elements,
    last_updated: "2018-12-17T11:16:55Z",
    ...extra,
  };
}
