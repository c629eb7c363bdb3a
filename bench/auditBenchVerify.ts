/** One verification run of bench:audit, in its own process so that its peak RSS is its own. */
import { readFileSync } from "node:fs";
import { parseTrustAnchors } from "@chargemesh/shared-model";
import { verifyBundleFile } from "@chargemesh/auditor";

const [file, anchorsFile, workers] = process.argv.slice(2);
const anchors = parseTrustAnchors(readFileSync(anchorsFile!, "utf8"));
if (!anchors.ok) throw anchors.error;
const t0 = performance.now();
const report = await verifyBundleFile(file!, { anchors: anchors.value, workers: Number(workers) });
const ms = performance.now() - t0;
if (report.verdict !== "verified") process.stderr.write(JSON.stringify(report.findingCounts) + "\n");
process.stdout.write(
  JSON.stringify({
    verdict: report.verdict,
    records: report.recordsRead,
    ms,
    maxRssKiB: process.resourceUsage().maxRSS,
  }) + "\n",
);
