import { existsSync, readFileSync } from "node:fs";
import { writeFileDurably } from "@chargemesh/automerge-storage-sqlite";

/**
 * The config document URL of each site, kept in a small JSON file written atomically and durably, so
 * a restarted cloud peer goes on writing the documents its sites hold. A file that does not parse is
 * an error at start, never silently an empty map.
 */
export class SiteConfigUrls {
  private readonly urls: Map<string, string>;

  constructor(private readonly file: string) {
    this.urls = new Map(
      existsSync(file)
        ? Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, string>)
        : [],
    );
  }

  /** Every site's config URL. */
  entries(): [string, string][] {
    return [...this.urls];
  }

  /** Records a site's config URL durably before returning. */
  save(siteId: string, url: string): void {
    this.urls.set(siteId, url);
    writeFileDurably(this.file, JSON.stringify(Object.fromEntries(this.urls)));
  }
}
