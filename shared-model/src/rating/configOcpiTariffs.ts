import { z } from "zod";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { parseJsonKeepingNumbers } from "./losslessJson.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";
import { parseTariffs } from "./parseRatingInput.js";

/** Longest tariff JSON text a config document carries. */
export const MAX_CONFIG_TARIFF_JSON_CHARS = 256 * 1024;

/**
 * The OCPI tariffs a config document carries as published: the OCPI 2.2.1 Tariff object (or the
 * list of its versions) as JSON text, so every decimal price stays the text it was written as, and
 * the IANA time zone its time restrictions are local to.
 */
export interface ConfigOcpiTariffs {
  readonly tariffsJson: string;
  readonly timeZone: string;
}

/** Tariffs ready for the rating engine. */
export interface HeldOcpiTariffs {
  readonly tariffs: readonly OcpiTariff[];
  readonly timeZone: string;
}

function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads a config document's OCPI tariffs: the JSON text with its numbers kept exact
 * (`parseJsonKeepingNumbers`), validated by `parseTariffs`, and the time zone checked by Intl.
 * Fails with malformed_json or invalid_input (naming the issue); never throws.
 */
export function readConfigOcpiTariffs(held: ConfigOcpiTariffs): Result<HeldOcpiTariffs> {
  if (!knownTimeZone(held.timeZone))
    return err(new ChargemeshError("invalid_input", `unknown time zone ${JSON.stringify(held.timeZone)}`));
  const json = parseJsonKeepingNumbers(held.tariffsJson);
  if (!json.ok) return json;
  const tariffs = parseTariffs(json.value);
  if (!tariffs.ok) return tariffs;
  return ok({ tariffs: tariffs.value, timeZone: held.timeZone });
}

/** The config document's `ocpiTariffs` field: accepted only when `readConfigOcpiTariffs` reads it. */
export const configOcpiTariffsSchema = z
  .object({
    tariffsJson: z.string().min(1).max(MAX_CONFIG_TARIFF_JSON_CHARS),
    timeZone: z.string().min(1).max(64),
  })
  .superRefine((v, ctx) => {
    const r = readConfigOcpiTariffs(v);
    if (!r.ok) ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.error.message });
  });
