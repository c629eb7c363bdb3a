import { z } from "zod";
import { isDecimalText } from "./decimalText.js";

/**
 * OCPI 2.2.1 Tariff (mod_tariffs "Tariff Object" and its classes). Numbers are kept as decimal text:
 * the CLI reads JSON with every number token preserved as written (losslessJson.ts); a number that
 * reaches this schema as a JS number is taken by its shortest round-trip text (String(n)).
 */
export const ocpiDecimal = z
  .union([z.string().refine(isDecimalText, { message: "expected a decimal number" }), z.number().finite()])
  .transform((v) => (typeof v === "number" ? String(v) : v));

const nonNegativeDecimal = ocpiDecimal.refine((v) => !v.startsWith("-"), { message: "must not be negative" });
const integerText = ocpiDecimal.refine((v) => /^\d{1,12}$/.test(v), {
  message: "expected a non-negative integer",
});

/** ISO 8601 date-time as OCPI writes it (UTC when no offset is given). */
export const ocpiDateTime = z
  .string()
  .max(40)
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$/,
    "expected an ISO 8601 date-time",
  )
  .refine((v) => !Number.isNaN(parseOcpiDateTimeMs(v)), { message: "not a real date-time" });

/** Milliseconds since the epoch of an OCPI date-time (no offset = UTC); NaN when it is not one. */
export function parseOcpiDateTimeMs(v: string): number {
  const withZone = /(Z|[+-]\d{2}:\d{2})$/.test(v) ? v : `${v}Z`;
  const ms = Date.parse(withZone);
  // Date.parse keeps milliseconds; anything finer is dropped (meter time is in ms).
  return ms;
}

export const ocpiPrice = z.object({ excl_vat: nonNegativeDecimal, incl_vat: nonNegativeDecimal.optional() });

export const TARIFF_DIMENSIONS = ["ENERGY", "FLAT", "PARKING_TIME", "TIME"] as const;
export type TariffDimension = (typeof TARIFF_DIMENSIONS)[number];

export const ocpiPriceComponent = z.object({
  type: z.enum(TARIFF_DIMENSIONS),
  price: nonNegativeDecimal,
  vat: nonNegativeDecimal.optional(),
  step_size: integerText,
});

export const DAYS_OF_WEEK = [
  "MONDAY",
  "TUESDAY",
  "WEDNESDAY",
  "THURSDAY",
  "FRIDAY",
  "SATURDAY",
  "SUNDAY",
] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

const timeOfDay = z
  .string()
  .regex(/^([0-1][0-9]|2[0-3]):[0-5][0-9]$/, "expected HH:MM (24 h, leading zeros)");
const localDate = z
  .string()
  .regex(/^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/, "expected YYYY-MM-DD");

export const ocpiTariffRestrictions = z.object({
  start_time: timeOfDay.optional(),
  end_time: timeOfDay.optional(),
  start_date: localDate.optional(),
  end_date: localDate.optional(),
  min_kwh: nonNegativeDecimal.optional(),
  max_kwh: nonNegativeDecimal.optional(),
  min_current: nonNegativeDecimal.optional(),
  max_current: nonNegativeDecimal.optional(),
  min_power: nonNegativeDecimal.optional(),
  max_power: nonNegativeDecimal.optional(),
  min_duration: integerText.optional(),
  max_duration: integerText.optional(),
  day_of_week: z.array(z.enum(DAYS_OF_WEEK)).max(7).optional(),
  reservation: z.enum(["RESERVATION", "RESERVATION_EXPIRES"]).optional(),
});

export const ocpiTariffElement = z.object({
  price_components: z.array(ocpiPriceComponent).min(1).max(16),
  restrictions: ocpiTariffRestrictions.optional(),
});

const displayText = z.object({ language: z.string().max(2), text: z.string().max(512) });

export const ocpiTariffSchema = z.object({
  country_code: z.string().length(2),
  party_id: z.string().length(3),
  id: z.string().min(1).max(36),
  currency: z.string().regex(/^[A-Z]{3}$/, "expected an ISO 4217 code"),
  type: z.enum(["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"]).optional(),
  tariff_alt_text: z.array(displayText).max(16).optional(),
  tariff_alt_url: z.string().max(255).optional(),
  min_price: ocpiPrice.optional(),
  max_price: ocpiPrice.optional(),
  elements: z.array(ocpiTariffElement).min(1).max(256),
  start_date_time: ocpiDateTime.optional(),
  end_date_time: ocpiDateTime.optional(),
  energy_mix: z.unknown().optional(),
  // Card. 1 in OCPI; optional here because the specification's own PUT example omits it and rating never reads it.
  last_updated: ocpiDateTime.optional(),
});

export type OcpiTariff = z.infer<typeof ocpiTariffSchema>;
export type OcpiTariffInput = z.input<typeof ocpiTariffSchema>;
export type OcpiTariffElement = z.infer<typeof ocpiTariffElement>;
export type OcpiPriceComponent = z.infer<typeof ocpiPriceComponent>;
export type OcpiTariffRestrictions = z.infer<typeof ocpiTariffRestrictions>;
export type OcpiPrice = z.infer<typeof ocpiPrice>;

/** A tariff's versions (same tariff, different validity windows); the one valid at session start applies. */
export const ocpiTariffVersionsSchema = z.array(ocpiTariffSchema).min(1).max(1024);
