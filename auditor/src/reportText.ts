import type { BundleReport } from "@chargemesh/shared-model";
import { INFORMATIONAL_CODES } from "@chargemesh/shared-model";
import type { InvoiceSection } from "./invoiceCheck.js";

/** The human-readable verdict the CLI prints (with the invoice recomputation when --tariffs was given). */
export function reportText(file: string, r: BundleReport & { invoices?: InvoiceSection }): string {
  const lines = [
    `bundle ${file} of site ${r.siteId ?? "?"}: ${r.recordsRead} records, ${r.meters.length} meters, ${r.sessions.length} sessions`,
  ];
  for (const m of r.meters) {
    lines.push(
      `  meter ${m.meterId}: ${m.records} verified records, seq ${m.firstSeq ?? "-"}..${m.lastSeq ?? "-"}, key certified by ${m.certifiedBy}, signed in ${m.signingLocation ?? "?"}`,
    );
  }
  lines.push(`  energy delivered ${r.deliveredWh} Wh, in sessions ${r.sessionsWh} Wh`);
  lines.push(
    `  trust: ${r.trust === "anchored" ? "operator keys from the trust anchors given" : "SELF-ASSERTED: the bundle's own operator keys (pass --trust <anchors> to verify against the operator's)"}`,
  );
  if (r.invoices) {
    const n = (k: string) => r.invoices!.recomputed.filter((x) => x.invoiced === k).length;
    const failed = r.invoices.recomputed.filter((x) => x.totalMinor === null).length;
    lines.push(
      `  invoices: ${r.invoices.recomputed.length} complete sessions recomputed from their signed records (${r.invoices.timeZone}, ${r.invoices.tariffVersions} tariff version(s))${failed ? `, ${failed} not ratable` : ""}` +
        (r.invoices.invoicesGiven === null
          ? "; no --invoices given, nothing compared"
          : `; of ${r.invoices.invoicesGiven} invoices given: ${n("equal")} equal bit for bit, ${n("differs")} differ, ${n("absent")} sessions without invoice`),
    );
  }
  if (!r.checks.timeCoverage)
    lines.push("  time coverage not checked (the trust anchors set no maxRecordGapMs)");
  for (const f of r.findings)
    lines.push(`  ${INFORMATIONAL_CODES.has(f.code) ? "note" : "FAIL"} ${f.code}: ${f.message}`);
  const shown = r.findings.length;
  const total = Object.values(r.findingCounts).reduce((a, n) => a + n, 0);
  if (total > shown)
    lines.push(`  ... ${total - shown} more findings (counts by code: ${JSON.stringify(r.findingCounts)})`);
  const failing = Object.entries(r.findingCounts)
    .filter(([c]) => !INFORMATIONAL_CODES.has(c as never))
    .reduce((a, [, n]) => a + n, 0);
  lines.push(
    r.verdict === "verified"
      ? "verified: every record and claim holds under the trust anchors"
      : r.verdict === "self-asserted"
        ? "SELF-ASSERTED: consistent, but certified only by keys the bundle itself carries"
        : `NOT VERIFIED: ${failing} finding(s)`,
  );
  return lines.join("\n") + "\n";
}
