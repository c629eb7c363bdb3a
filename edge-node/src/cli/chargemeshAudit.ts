#!/usr/bin/env node
/**
 * chargemesh-audit: the auditor's offline verifier.
 *   export --store <dataDir> --site <id> --out <file>   bundle a site's store (certificates, records, sessions)
 *   export --demo --out <file> [--sessions N] [--meters N] [--seed S]   a deterministic demo bundle
 *   verify <bundle> [--json]                  exit 0 when everything holds; non-zero naming every bad record
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { decodeAuditBundle, encodeAuditBundle, verifyAuditBundle } from "@chargemesh/shared-model";
import type { AuditBundle } from "@chargemesh/shared-model";
import { siteId as toSiteId, systemClock } from "@chargemesh/shared-model";
import { nodeEd25519 } from "../crypto/nodeEd25519.js";
import { buildAuditBundle } from "../audit/exportBundle.js";
import { generateDemoLedger } from "../audit/demoLedger.js";
import { exportStore } from "../audit/storeExport.js";

const HELP = `chargemesh-audit: verify signed meter chains offline

usage:
  chargemesh-audit verify <bundle> [--json]
  chargemesh-audit export --store <site dataDir> --site <siteId> --out <bundle> [--json]
  chargemesh-audit export --demo --out <bundle> [--sessions 20] [--meters 3] [--seed 1] [--json]

exit codes: 0 verified, 1 findings (each named), 2 usage error, 3 unreadable or malformed bundle
`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** Runs the CLI with `argv` (without node and script); resolves with the process exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        demo: { type: "boolean" },
        store: { type: "string" },
        site: { type: "string" },
        out: { type: "string", short: "o" },
        sessions: { type: "string" },
        meters: { type: "string" },
        seed: { type: "string" },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, file] = positionals;
  if (values.help || !command) {
    io.out(HELP);
    return values.help ? 0 : 2;
  }
  if (command === "verify") return file ? verify(file, values.json === true, io) : usage(io, "verify needs a bundle file");
  if (command !== "export") return usage(io, `unknown command ${command}`);
  if (!values.out) return usage(io, "export needs --out <file>");
  let bundle: AuditBundle;
  if (values.demo) {
    const count = (v: string | undefined, d: number) => (v === undefined ? d : Number.parseInt(v, 10));
    const opts = { meters: count(values.meters, 3), sessions: count(values.sessions, 20), checkpointsPerSession: 5, seed: count(values.seed, 1) };
    if (![opts.meters, opts.sessions, opts.seed].every((n) => Number.isSafeInteger(n) && n >= 0) || opts.meters < 1) return usage(io, "--meters, --sessions and --seed take whole numbers");
    bundle = buildAuditBundle(await generateDemoLedger(opts, nodeEd25519), Date.UTC(2026, 0, 2));
  } else if (values.store && values.site) {
    bundle = await exportStore(values.store, values.site);
  } else {
    return usage(io, "export needs --demo or --store <dir> --site <id>");
  }
  writeFileSync(values.out, encodeAuditBundle(bundle));
  if (values.json) io.out(JSON.stringify({ out: values.out, records: bundle.records.length, sessions: bundle.sessions.length }) + "\n");
  else io.out(`wrote ${values.out}: ${bundle.records.length} records, ${bundle.sessions.length} sessions\n`);
  return 0;
}

function verify(file: string, json: boolean, io: Io): number {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    io.err(`cannot read ${file}: ${(e as Error).message}\n`);
    return 3;
  }
  const bundle = decodeAuditBundle(bytes);
  if (!bundle.ok) {
    if (json) io.out(JSON.stringify({ ok: false, error: { code: bundle.error.code, message: bundle.error.message } }) + "\n");
    else io.err(`${bundle.error.message}\n`);
    return 3;
  }
  const report = verifyAuditBundle(bundle.value, nodeEd25519);
  if (json) {
    io.out(JSON.stringify({ siteId: bundle.value.siteId, ...report }, null, 2) + "\n");
    return report.ok ? 0 : 1;
  }
  io.out(`bundle of site ${bundle.value.siteId}: ${bundle.value.records.length} records, ${report.meters.length} meters, ${report.sessions.length} sessions\n`);
  for (const m of report.meters) {
    io.out(`  meter ${m.meterId}: ${m.records} records to seq ${m.lastSeq}, key certified by ${m.certifiedBy}, signed in ${m.signingLocation ?? "?"}\n`);
  }
  io.out(`  energy delivered ${report.deliveredWh} Wh, in sessions ${report.sessionsWh} Wh\n`);
  for (const f of report.findings) io.out(`  ${f.code === "duplicate_record" ? "note" : "FAIL"} ${f.code}: ${f.message}\n`);
  io.out(report.ok ? "verified: every record holds\n" : `NOT VERIFIED: ${report.findings.filter((f) => f.code !== "duplicate_record").length} finding(s)\n`);
  return report.ok ? 0 : 1;
}

function usage(io: Io, message: string): number {
  io.err(`${message}\n\n${HELP}`);
  return 2;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`chargemesh-audit: ${(e as Error).stack ?? e}\n`);
      process.exit(70);
    },
  );
}
