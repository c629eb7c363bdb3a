import type {
  BundleReport,
  ExportedInvoice,
  Finding,
  OcpiTariff,
  SessionEnergy,
  SessionInvoice,
} from "@chargemesh/shared-model";
import { INFORMATIONAL_CODES, MAX_FINDINGS_PER_CODE, rateVerifiedSession } from "@chargemesh/shared-model";

/** What the auditor rates with: the operator's OCPI tariff versions and the site's IANA time zone. */
export interface InvoiceCheckInput {
  readonly tariffs: readonly OcpiTariff[];
  readonly timeZone: string;
  /** What the financial ledger billed (`--invoices`); null: recompute only, compare nothing. */
  readonly invoices: readonly ExportedInvoice[] | null;
}

/** One complete session's recomputed invoice, and how the billed one compares. */
export interface RecomputedInvoice {
  readonly sessionId: string;
  readonly meterId: string;
  /** null when the tariffs cannot rate it (`error` says why). */
  readonly currency: string | null;
  readonly tariffId: string | null;
  readonly energyWh: number;
  /** Integer minor units as decimal text, VAT included. */
  readonly totalMinor: string | null;
  readonly lines: readonly {
    kind: string;
    description: string;
    energyWh: number;
    exclVatMinor: string;
    vatMinor: string;
    sourceRecords: readonly string[];
  }[];
  readonly error?: string;
  /** equal: bit for bit; differs: an invoice_mismatch; absent: no invoice given; not_compared: no --invoices. */
  readonly invoiced: "equal" | "differs" | "absent" | "not_compared";
}

/** The `invoices` section of the report (docs/auditing.md "Invoices"). */
export interface InvoiceSection {
  readonly timeZone: string;
  readonly tariffVersions: number;
  readonly invoicesGiven: number | null;
  readonly recomputed: readonly RecomputedInvoice[];
}

const jsonLines = (inv: SessionInvoice) =>
  inv.lineItems.map((l) => ({
    kind: l.kind,
    description: l.description,
    energyWh: l.energyWh,
    exclVatMinor: l.exclVatMinor.toString(),
    vatMinor: l.vatMinor.toString(),
    sourceRecords: l.sourceRecords,
  }));

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The invoice fields that differ between the billed invoice and the recomputation from the signed
 * records (empty: equal bit for bit). A promotion the auditor cannot recompute (the account's pricing
 * policy is not its input) is compared as stated: `discounted` is then true and the total must still
 * be the recomputed tariff line plus the stated promotion lines.
 */
function compare(
  s: SessionEnergy,
  billed: ExportedInvoice,
  mine: SessionInvoice,
): { fields: string[]; discounted: boolean } {
  const fields: string[] = [];
  const check = (name: string, equal: boolean) => void (equal || fields.push(name));
  check("meterId", billed.meterId === s.meterId);
  check("stallId", billed.stallId === s.stallId);
  // Neither side is signed by a meter: this cross-checks the site's claim against the cloud's invoice.
  check("contractId", billed.contractId === s.claimedContractId);
  check("beginRecord", billed.beginRecordHash === s.beginRecordHash);
  check("endRecord", billed.endRecordHash === s.endRecordHash);
  check("currency", billed.currency === mine.currency);
  check("tariffId", billed.tariffId === mine.tariffId);
  check("energyWh", billed.energyWh === mine.energyWh);
  const billedPromos = billed.lines.filter((l) => l.kind === "promotion");
  const discounted =
    billedPromos.length > 0 &&
    !mine.lineItems.some((l) => l.kind === "promotion") &&
    !billed.lines.some((l) => l.kind === "adjustment");
  const expectLines = discounted ? [...mine.lineItems, ...billedPromos] : mine.lineItems;
  // An adjusted invoice (late records) holds the first basis's lines and the differences after it:
  // its lines are checked by their sum; the records, energy and total are those of the current basis.
  const adjusted = billed.lines.some((l) => l.kind === "adjustment");
  const lineEqual =
    adjusted ||
    (billed.lines.length === expectLines.length &&
      billed.lines.every((b, i) => {
        const m = expectLines[i]!;
        return (
          b.kind === m.kind &&
          b.description === m.description &&
          b.energyWh === m.energyWh &&
          b.exclVatMinor === m.exclVatMinor &&
          b.vatMinor === m.vatMinor &&
          sameList(b.sourceRecords, m.sourceRecords)
        );
      }));
  check("lines", lineEqual);
  const total = discounted
    ? mine.totalMinorUnits + billedPromos.reduce((a, l) => a + l.exclVatMinor + l.vatMinor, 0n)
    : mine.totalMinorUnits;
  check("totalMinor", billed.totalMinor === total);
  const linesSum = billed.lines.reduce((a, l) => a + l.exclVatMinor + l.vatMinor, 0n);
  check("linesSum", linesSum === billed.totalMinor);
  return { fields, discounted };
}

/**
 * Recomputes every complete session's invoice from the report's verified signed begin and end
 * records with shared-model's `rateVerifiedSession` (billing's own function) and compares each billed
 * invoice bit for bit. Returns the report with the invoice findings added (counts, verdict) and the
 * `invoices` section. Pure; never throws.
 */
export function checkInvoices(
  report: BundleReport,
  input: InvoiceCheckInput,
): BundleReport & { invoices: InvoiceSection } {
  const found: Finding[] = [];
  const billedBy = new Map<string, ExportedInvoice>();
  for (const inv of input.invoices ?? []) {
    if (billedBy.has(inv.sessionId))
      found.push({
        code: "invoice_mismatch",
        message: `session ${inv.sessionId} has two invoices in the invoices file`,
        sessionId: inv.sessionId,
        field: "sessionId",
      });
    else billedBy.set(inv.sessionId, inv);
  }
  const complete = new Map(report.sessions.filter((s) => s.complete).map((s) => [s.sessionId as string, s]));
  const recomputed: RecomputedInvoice[] = [];
  for (const s of complete.values()) {
    const billed = billedBy.get(s.sessionId) ?? null;
    const rated = rateVerifiedSession(
      input.tariffs,
      input.timeZone,
      {
        sessionId: s.sessionId,
        meterId: s.meterId,
        begin: { seq: s.beginSeq!, meterTimeMs: s.beginTimeMs!, registerWh: s.beginWh! },
        end: { seq: s.endSeq!, meterTimeMs: s.endTimeMs!, registerWh: s.lastWh! },
      },
      billed ? { accountId: billed.accountId } : {},
    );
    const base = { sessionId: s.sessionId as string, meterId: s.meterId as string, energyWh: s.energyWh };
    if (!rated.ok) {
      if (billed)
        found.push({
          code: "rating_failed",
          message: `session ${s.sessionId} is invoiced but the tariffs given cannot rate it: ${rated.error.message}`,
          sessionId: s.sessionId,
        });
      recomputed.push({
        ...base,
        currency: null,
        tariffId: null,
        totalMinor: null,
        lines: [],
        error: rated.error.message,
        invoiced: input.invoices === null ? "not_compared" : billed ? "differs" : "absent",
      });
      continue;
    }
    let invoiced: RecomputedInvoice["invoiced"] = "not_compared";
    if (input.invoices !== null && !billed) {
      invoiced = "absent";
      found.push({
        code: "session_not_invoiced",
        message: `session ${s.sessionId} is complete in the signed records but the invoices file has no invoice for it`,
        sessionId: s.sessionId,
      });
    } else if (billed) {
      const { fields, discounted } = compare(s, billed, rated.value);
      invoiced = fields.length === 0 ? "equal" : "differs";
      if (fields.length > 0)
        found.push({
          code: "invoice_mismatch",
          message: `session ${s.sessionId}: the invoice's ${fields.join(", ")} differ from the recomputation from its signed records (billed total ${billed.totalMinor}, recomputed ${rated.value.totalMinorUnits} ${rated.value.currency} minor units)`,
          sessionId: s.sessionId,
          meterId: s.meterId,
          field: fields.join(","),
        });
      if (discounted)
        found.push({
          code: "discount_not_recomputed",
          message: `session ${s.sessionId}: the invoice's promotion line is the operator's statement (the account's pricing policy is not the auditor's input); the tariff line and the total around it were checked`,
          sessionId: s.sessionId,
        });
    }
    recomputed.push({
      ...base,
      currency: rated.value.currency,
      tariffId: rated.value.tariffId,
      totalMinor: rated.value.totalMinorUnits.toString(),
      lines: jsonLines(rated.value),
      invoiced,
    });
  }
  for (const inv of billedBy.values())
    if (!complete.has(inv.sessionId))
      found.push({
        code: "invoice_without_session",
        message: `session ${inv.sessionId} is invoiced but the bundle's verified records hold no complete session of that ID`,
        sessionId: inv.sessionId,
        meterId: inv.meterId,
      });
  const counts: Record<string, number> = { ...report.findingCounts };
  const kept: Record<string, number> = {};
  for (const f of report.findings) kept[f.code] = (kept[f.code] ?? 0) + 1;
  const findings = [...report.findings];
  for (const f of found) {
    counts[f.code] = (counts[f.code] ?? 0) + 1;
    kept[f.code] = (kept[f.code] ?? 0) + 1;
    if (kept[f.code]! <= MAX_FINDINGS_PER_CODE) findings.push(f);
  }
  const failing = found.some((f) => !INFORMATIONAL_CODES.has(f.code));
  const findingCounts = Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    ...report,
    ok: report.ok && !failing,
    verdict: failing ? "failed" : report.verdict,
    findings,
    findingCounts,
    invoices: {
      timeZone: input.timeZone,
      tariffVersions: input.tariffs.length,
      invoicesGiven: input.invoices === null ? null : input.invoices.length,
      recomputed,
    },
  };
}
