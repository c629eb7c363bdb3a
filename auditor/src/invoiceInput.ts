import { readFileSync } from "node:fs";
import {
  ChargemeshError,
  err,
  ok,
  parseInvoiceExport,
  parseJsonKeepingNumbers,
  parseTariffs,
} from "@chargemesh/shared-model";
import type { ExportedInvoice, OcpiTariff, Result } from "@chargemesh/shared-model";

const MAX_TARIFF_FILE_BYTES = 16 << 20;

function readText(file: string, maxBytes: number, what: string): Result<string> {
  try {
    const bytes = readFileSync(file);
    if (bytes.length > maxBytes)
      return err(new ChargemeshError("invalid_input", `${what} ${file} is larger than ${maxBytes} bytes`));
    return ok(bytes.toString("utf8"));
  } catch (e) {
    return err(new ChargemeshError("invalid_input", `cannot read ${what} ${file}: ${(e as Error).message}`));
  }
}

/** Reads `--tariffs`: an OCPI 2.2.1 Tariff object or an array of its versions (prices kept exact). Error value on any problem. */
export function loadTariffs(file: string): Result<OcpiTariff[]> {
  const text = readText(file, MAX_TARIFF_FILE_BYTES, "tariffs file");
  if (!text.ok) return text;
  const json = parseJsonKeepingNumbers(text.value);
  if (!json.ok)
    return err(new ChargemeshError("invalid_input", `tariffs file ${file}: ${json.error.message}`));
  const tariffs = parseTariffs(json.value);
  return tariffs.ok
    ? tariffs
    : err(new ChargemeshError("invalid_input", `tariffs file ${file}: ${tariffs.error.message}`));
}

/** Reads `--invoices`: the financial ledger's invoices file (docs/auditing.md "Invoices"). Error value on any problem. */
export function loadInvoices(file: string): Result<ExportedInvoice[]> {
  const text = readText(file, 256 << 20, "invoices file");
  if (!text.ok) return text;
  const r = parseInvoiceExport(text.value);
  return r.ok ? r : err(new ChargemeshError("invalid_input", `${file}: ${r.error.message}`));
}

/** True iff `zone` is an IANA time zone this runtime knows. */
export function knownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
