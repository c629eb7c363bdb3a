import type { z } from "zod";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";
import { cdrSessionSchema } from "./ocpiSessionSchema.js";
import type { CdrSession } from "./ocpiSessionSchema.js";
import { ocpiTariffSchema, ocpiTariffVersionsSchema } from "./ocpiTariffSchema.js";
import type { OcpiTariff } from "./ocpiTariffSchema.js";

/** "path.to.field: message" for each zod issue (at most 20). */
export function describeIssues(error: z.ZodError): string[] {
  const lines = error.issues
    .slice(0, 20)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  if (error.issues.length > 20) lines.push(`... and ${error.issues.length - 20} more`);
  return lines;
}

function parseWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, what: string, value: unknown): Result<T> {
  const r = schema.safeParse(value);
  if (r.success) return ok(r.data);
  const issues = describeIssues(r.error);
  return err(new ChargemeshError("invalid_input", `invalid ${what}:\n  ${issues.join("\n  ")}`, { issues }));
}

/** Validates an OCPI 2.2.1 Tariff, or a list of its versions; the error names each zod issue. */
export function parseTariffs(value: unknown): Result<OcpiTariff[]> {
  if (Array.isArray(value)) return parseWith(ocpiTariffVersionsSchema, "tariff versions", value);
  const one = parseWith(ocpiTariffSchema, "tariff", value);
  return one.ok ? ok([one.value]) : one;
}

/** Validates an OCPI CDR-style session; the error names each zod issue. */
export function parseCdrSession(value: unknown): Result<CdrSession> {
  return parseWith(cdrSessionSchema, "session", value);
}
