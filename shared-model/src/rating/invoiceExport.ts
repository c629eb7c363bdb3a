import { z } from "zod";
import { ChargemeshError, err, ok } from "../errors.js";
import type { Result } from "../errors.js";

/**
 * The invoices file (docs/auditing.md "Invoices"): what the operator's financial ledger billed, one
 * entry per invoiced session with its current basis (the invoice or its latest adjustment), written
 * by cloud-peer's `exportInvoices` and read by `chargemesh-audit verify --invoices`. Amounts are
 * integer minor units as decimal text (bigints survive JSON).
 */
export interface ExportedInvoiceLine {
  readonly kind: string;
  readonly description: string;
  readonly energyWh: number;
  readonly exclVatMinor: bigint;
  readonly vatMinor: bigint;
  readonly sourceRecords: readonly string[];
}

export interface ExportedInvoice {
  readonly sessionId: string;
  readonly siteId: string;
  readonly meterId: string;
  readonly stallId: string;
  readonly accountId: string;
  /** The contract (eMAID) billing charged the session to: the cloud's record, unsigned by any meter. */
  readonly contractId: string;
  readonly currency: string;
  readonly tariffId: string;
  /** SHA-256 (hex) of the signed begin and end records the basis was rated from, as shipped. */
  readonly beginRecordHash: string;
  readonly endRecordHash: string;
  readonly energyWh: number;
  readonly totalMinor: bigint;
  readonly lines: readonly ExportedInvoiceLine[];
}

const MAX_FILE_CHARS = 256 << 20;
const minor = z.string().regex(/^-?(0|[1-9][0-9]{0,30})$/, "integer minor units as decimal text");
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");
const wh = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const fileSchema = z.object({
  format: z.literal("chargemesh-invoices"),
  version: z.literal(1),
  invoices: z.array(
    z.object({
      sessionId: z.string().min(1),
      siteId: z.string(),
      meterId: z.string(),
      stallId: z.string(),
      accountId: z.string(),
      contractId: z.string(),
      currency: z.string().regex(/^[A-Z]{3}$/),
      tariffId: z.string(),
      beginRecordHash: hex64,
      endRecordHash: hex64,
      energyWh: wh,
      totalMinor: minor,
      lines: z.array(
        z.object({
          kind: z.string(),
          description: z.string(),
          energyWh: wh,
          exclVatMinor: minor,
          vatMinor: minor,
          sourceRecords: z.array(z.string()),
        }),
      ),
    }),
  ),
});

/** Writes the invoices file's JSON text (stable key order, one invoice per line). */
export function formatInvoiceExport(invoices: Iterable<ExportedInvoice>): string {
  const rows = [...invoices].map((i) =>
    JSON.stringify({
      ...i,
      totalMinor: i.totalMinor.toString(),
      lines: i.lines.map((l) => ({
        ...l,
        exclVatMinor: l.exclVatMinor.toString(),
        vatMinor: l.vatMinor.toString(),
      })),
    }),
  );
  return `{"format":"chargemesh-invoices","version":1,"invoices":[${rows.length ? `\n${rows.join(",\n")}\n` : ""}]}\n`;
}

/** Parses an invoices file; never throws: anything malformed is an `invalid_input` error value. */
export function parseInvoiceExport(text: string): Result<ExportedInvoice[]> {
  const bad = (m: string) => err(new ChargemeshError("invalid_input", `invoices file: ${m}`));
  if (typeof text !== "string" || text.length > MAX_FILE_CHARS) return bad("not text or larger than 256 MiB");
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return bad("not JSON");
  }
  const r = fileSchema.safeParse(v);
  if (!r.success)
    return bad(r.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`).join("; "));
  return ok(
    r.data.invoices.map((i) => ({
      ...i,
      totalMinor: BigInt(i.totalMinor),
      lines: i.lines.map((l) => ({
        ...l,
        exclVatMinor: BigInt(l.exclVatMinor),
        vatMinor: BigInt(l.vatMinor),
      })),
    })),
  );
}
