import { existsSync } from "node:fs";
import { join } from "node:path";
import { ChargemeshError, siteId as toSiteId, systemClock } from "@chargemesh/shared-model";
import type { AuditBundle } from "@chargemesh/shared-model";
import type { BundleSource } from "./exportBundle.js";
import { buildAuditBundle, writeAuditBundle } from "./exportBundle.js";
import { SiteRepo } from "../store/siteRepo.js";
import { AutomergeLedgerStore } from "../store/automergeLedgerStore.js";
import { AutomergeSessionJournal } from "../store/automergeSessionJournal.js";

/** True iff `dataDir` holds a site store (its root URL file and its SQLite database). */
export function isSiteStore(dataDir: string): boolean {
  return existsSync(join(dataDir, "root-url")) && existsSync(join(dataDir, "site.sqlite"));
}

/** Opens an existing store (never creates one), hands its contents to `use`, closes it. */
async function withStore<T>(dataDir: string, site: string, use: (src: BundleSource) => T): Promise<T> {
  if (!isSiteStore(dataDir))
    throw new ChargemeshError(
      "not_found",
      `${dataDir} is not a site store (no root-url and site.sqlite in it)`,
    );
  const repo = await SiteRepo.open(toSiteId(site), dataDir);
  try {
    const ledger = await AutomergeLedgerStore.open(repo, systemClock, { withArchive: true });
    const journal = await AutomergeSessionJournal.open(repo, site, { withArchive: true });
    const root = repo.root.doc();
    return use({
      siteId: site,
      operatorKeys: root.operatorKeys,
      meterCertificates: root.meterCertificates,
      ledger,
      sessions: journal.all(),
    });
  } finally {
    await repo.close();
  }
}

/** Reads a site's store, live and archived days, into an in-memory bundle. Throws "not_found" for a path that is not a store. */
export function exportStore(dataDir: string, site: string): Promise<AuditBundle> {
  return withStore(dataDir, site, (src) => buildAuditBundle(src, systemClock.now()));
}

/** Streams a site's store into a bundle file in bounded memory. Throws "not_found" for a path that is not a store. */
export function exportStoreToFile(
  dataDir: string,
  site: string,
  out: string,
): Promise<{ records: number; claims: number; bytes: number }> {
  return withStore(dataDir, site, (src) => writeAuditBundle(src, systemClock.now(), out));
}
