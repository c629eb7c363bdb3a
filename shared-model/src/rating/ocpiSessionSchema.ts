import { z } from "zod";
import { ocpiDateTime, ocpiDecimal, parseOcpiDateTimeMs } from "./ocpiTariffSchema.js";
import { isTimeZone } from "./localTime.js";

/**
 * An OCPI CDR-style session as `chargemesh-rate --cdr` reads it: the CDR's start/end, the location's
 * IANA time zone, and its charging periods with CdrDimensions (mod_cdrs "ChargingPeriod" and
 * "CdrDimension"). Session-only dimensions (CURRENT, POWER, ...) are accepted too; they inform
 * current and power restrictions when MIN_/MAX_ variants are absent.
 */
export const CDR_DIMENSIONS = [
  "CURRENT",
  "ENERGY",
  "ENERGY_EXPORT",
  "ENERGY_IMPORT",
  "MAX_CURRENT",
  "MIN_CURRENT",
  "MAX_POWER",
  "MIN_POWER",
  "PARKING_TIME",
  "POWER",
  "RESERVATION_TIME",
  "STATE_OF_CHARGE",
  "TIME",
] as const;
export type CdrDimensionType = (typeof CDR_DIMENSIONS)[number];

export const cdrDimensionSchema = z.object({ type: z.enum(CDR_DIMENSIONS), volume: ocpiDecimal });

export const chargingPeriodSchema = z.object({
  start_date_time: ocpiDateTime,
  dimensions: z.array(cdrDimensionSchema).min(1).max(32),
  tariff_id: z.string().max(36).optional(),
});

export const cdrSessionSchema = z
  .object({
    start_date_time: ocpiDateTime,
    end_date_time: ocpiDateTime,
    time_zone: z.string().max(64).refine(isTimeZone, { message: "not an IANA time zone" }),
    charging_periods: z.array(chargingPeriodSchema).min(1).max(10_000),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
  })
  .passthrough()
  .superRefine((s, ctx) => {
    const start = parseOcpiDateTimeMs(s.start_date_time);
    const end = parseOcpiDateTimeMs(s.end_date_time);
    if (end < start)
      ctx.addIssue({ code: "custom", path: ["end_date_time"], message: "ends before it starts" });
    let prev = start;
    s.charging_periods.forEach((p, i) => {
      const t = parseOcpiDateTimeMs(p.start_date_time);
      if (t < prev || t > end) {
        ctx.addIssue({
          code: "custom",
          path: ["charging_periods", i, "start_date_time"],
          message: "periods must start in order, within the session",
        });
      }
      prev = t;
    });
  });

export type CdrSession = z.infer<typeof cdrSessionSchema>;
export type CdrSessionInput = z.input<typeof cdrSessionSchema>;
