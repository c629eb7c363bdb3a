import { formatInvoiceExport, recordHash } from "@chargemesh/shared-model";
import type { ExportedInvoice } from "@chargemesh/shared-model";
import type { FinancialLedger, StoredInvoice } from "./ledger/financialLedger.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * One stored invoice as the invoices file states it: the records, energy and total of its current
 * basis (the last), and every line of every basis (the invoice's, then each adjustment's difference).
 */
export function exportedInvoice(inv: StoredInvoice): ExportedInvoice {
  const basis = inv.bases.at(-1)!;
  return {
    sessionId: inv.sessionId,
    siteId: inv.siteId,
    meterId: inv.meterId,
    stallId: inv.stallId,
    accountId: inv.accountId,
    contractId: inv.contractId,
    currency: inv.currency,
    tariffId: inv.tariffId,
    beginRecordHash: hex(recordHash(basis.beginRecord)),
    endRecordHash: hex(recordHash(basis.endRecord)),
    energyWh: basis.energyWh,
    totalMinor: basis.totalMinor,
    lines: [...inv.lines]
      .sort((a, b) => a.basisNo - b.basisNo || a.lineNo - b.lineNo)
      .map((l) => ({
        kind: l.kind,
        description: l.description,
        energyWh: l.energyWh,
        exclVatMinor: l.exclVatMinor,
        vatMinor: l.vatMinor,
        sourceRecords: l.sourceRecords,
      })),
  };
}

/**
 * The financial ledger's invoices as the auditor's `--invoices` file (docs/auditing.md "Invoices"),
 * optionally only those of one site. Reads only; rejects when the ledger cannot be read.
 */
export async function exportInvoices(ledger: FinancialLedger, siteId?: string): Promise<string> {
  const out: ExportedInvoice[] = [];
  for await (const inv of ledger.invoices())
    if (siteId === undefined || inv.siteId === siteId) out.push(exportedInvoice(inv));
  out.sort((a, b) => (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
  return formatInvoiceExport(out);
}
