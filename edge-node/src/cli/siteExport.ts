#!/usr/bin/env node
/**
 * chargemesh-site-export: writes a site store's audit bundle (certificates, records, claims) for an
 * auditor, streaming, in bounded memory. The auditor verifies it with `chargemesh-audit verify`.
 * It also states the site's record-gap policy (idle records every 15 min: at most 20 min between a
 * meter's records), the `maxRecordGapMs` the operator puts in the trust anchors it gives the auditor.
 */
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ChargemeshError, IDLE_RECORD_INTERVAL_MS, SITE_MAX_RECORD_GAP_MS } from "@chargemesh/shared-model";
import { exportStoreToFile } from "../audit/storeExport.js";

const HELP = `chargemesh-site-export: write a site's audit bundle

usage:
  chargemesh-site-export --store <site dataDir> --site <siteId> --out <bundle> [--json]

The site signs a record on every meter at least every ${IDLE_RECORD_INTERVAL_MS / 60_000} minutes, charging or not: its
record-gap policy for the operator's trust anchors is maxRecordGapMs ${SITE_MAX_RECORD_GAP_MS} (docs/auditing.md).

exit codes: 0 written, 2 usage error, 4 not a site store (or the store of another site), 70 internal error
`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. Never rejects for bad input. */
export async function main(argv: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        store: { type: "string" },
        site: { type: "string" },
        out: { type: "string", short: "o" },
      },
    }));
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (!values.store || !values.site || !values.out) {
    io.err(`--store, --site and --out are required\n\n${HELP}`);
    return 2;
  }
  let counts;
  try {
    counts = await exportStoreToFile(values.store, values.site, values.out);
  } catch (e) {
    const notAStore =
      (e instanceof ChargemeshError && e.code === "not_found") ||
      /belongs to site/.test((e as Error).message);
    if (!notAStore) throw e;
    if (values.json)
      io.out(
        JSON.stringify({ ok: false, error: { code: "not_a_site_store", message: (e as Error).message } }) +
          "\n",
      );
    else io.err(`${(e as Error).message}\n`);
    return 4;
  }
  const policy = { idleRecordIntervalMs: IDLE_RECORD_INTERVAL_MS, maxRecordGapMs: SITE_MAX_RECORD_GAP_MS };
  if (values.json) io.out(JSON.stringify({ ok: true, out: values.out, ...counts, ...policy }) + "\n");
  else
    io.out(
      `wrote ${values.out}: ${counts.records} records, ${counts.claims} session claims, ${counts.bytes} bytes\n` +
        `record-gap policy for the operator's trust anchors: "maxRecordGapMs": ${policy.maxRecordGapMs} (idle records every ${policy.idleRecordIntervalMs / 60_000} min)\n`,
    );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  }).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`chargemesh-site-export: ${(e as Error).stack ?? e}\n`);
      process.exit(70);
    },
  );
}
