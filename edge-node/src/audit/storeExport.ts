import { siteId as toSiteId, systemClock } from "@chargemesh/shared-model";
import type { AuditBundle } from "@chargemesh/shared-model";
import { buildAuditBundle } from "./exportBundle.js";
import { SiteRepo } from "../store/siteRepo.js";
import { AutomergeLedgerStore } from "../store/automergeLedgerStore.js";
import { AutomergeSessionJournal } from "../store/automergeSessionJournal.js";

/** Reads a site's store (read-only use), live and archived days, into an audit bundle. */
export async function exportStore(dataDir: string, site: string): Promise<AuditBundle> {
  const repo = await SiteRepo.open(toSiteId(site), dataDir);
  try {
    const ledger = await AutomergeLedgerStore.open(repo, systemClock, { withArchive: true });
    const journal = await AutomergeSessionJournal.open(repo, site, { withArchive: true });
    const root = repo.root.doc();
    return buildAuditBundle({ siteId: site, operatorKeys: root.operatorKeys, meterCertificates: root.meterCertificates, ledger, sessions: journal.all() }, systemClock.now());
  } finally {
    await repo.close();
  }
}
