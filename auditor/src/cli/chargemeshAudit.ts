/**
 * chargemesh-audit: the auditor's offline verifier of audit bundles (docs/auditing.md).
 *   verify <bundle> --trust <anchors.json> [--trust-key id=hex] [--until <time>] [--workers N]
 *          [--tariffs <tariff.json> --time-zone <IANA> [--invoices <invoices.json>]] [--json]
 */
import { openSync, readSync, closeSync } from "node:fs";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import type { BundleReport } from "@chargemesh/shared-model";
import { checkInvoices } from "../invoiceCheck.js";
import { knownTimeZone, loadInvoices, loadTariffs } from "../invoiceInput.js";
import { defaultWorkerCount } from "../signatureWorkers.js";
import { loadTrustAnchors } from "../trustInput.js";
import { reportText } from "../reportText.js";
import { verifyBundleFile } from "../verifyBundleFile.js";

export const HELP = `chargemesh-audit: verify a chargemesh audit bundle offline

usage:
  chargemesh-audit verify <bundle> --trust <anchors.json> [--trust ...] [--trust-key <keyId>=<hex>]
                          [--until <ISO time | epoch ms>] [--workers N] [--json]
                          [--tariffs <tariff.json> --time-zone <IANA zone> [--invoices <invoices.json>]]

  --trust       the operator's trust anchors (JSON, docs/auditing.md "Trust anchors"), obtained
                from the operator, never from the bundle; repeatable
  --trust-key   pin one operator key instead of (or besides) a file; repeatable
  --until       end of the audited period: every meter's chain must reach it (default: the
                bundle's own creation time, which the bundle asserts)
  --workers     signature-checking threads (default: every core; 0 = main thread)
  --json        the report as JSON (docs/auditing.md "JSON report")
  --tariffs     the operator's OCPI 2.2.1 Tariff (or array of versions): every complete session's
                invoice is recomputed from its verified signed begin and end records with
                billing's own rating function (docs/auditing.md "Invoices")
  --time-zone   the site's IANA time zone the tariff's time restrictions are local to (with --tariffs)
  --invoices    what the financial ledger billed (cloud-peer exportInvoices, "chargemesh-invoices"
                JSON): each invoice must equal the recomputation bit for bit (with --tariffs)

bundles are written at the site (npm run site-export) or as demos (npm run demo-bundle).

exit codes: 0 verified, 1 findings (each named), 2 usage error, 3 unreadable bundle or trust file,
            4 self-asserted (no finding, but no outside trust anchors were given), 70 internal error
`;

export const EXIT = {
  verified: 0,
  findings: 1,
  usage: 2,
  unreadable: 3,
  selfAsserted: 4,
  internal: 70,
} as const;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

const stdio: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** Parses --until: an ISO 8601 time or epoch milliseconds; null when malformed. */
function parseTime(v: string): number | null {
  if (/^\d+$/.test(v)) return Number.isSafeInteger(Number(v)) ? Number(v) : null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** True iff the file starts with a framed bundle item (a CBOR byte string head); false for an unreadable file. */
function looksLikeBundle(file: string): { ok: boolean; why?: string } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    return { ok: false, why: `cannot read ${file}: ${(e as Error).message}` };
  }
  try {
    const b = Buffer.alloc(1);
    const n = readSync(fd, b, 0, 1, 0);
    return n === 1 && b[0]! >= 0x40 && b[0]! <= 0x5a
      ? { ok: true }
      : { ok: false, why: `${file} is not a chargemesh audit bundle (version 2)` };
  } catch (e) {
    return { ok: false, why: `cannot read ${file}: ${(e as Error).message}` };
  } finally {
    closeSync(fd);
  }
}

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. Never rejects for bad input. */
export async function main(argv: string[], io: Io = stdio): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        trust: { type: "string", multiple: true },
        "trust-key": { type: "string", multiple: true },
        until: { type: "string" },
        workers: { type: "string" },
        tariffs: { type: "string" },
        "time-zone": { type: "string" },
        invoices: { type: "string" },
      },
    });
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, file, ...extra] = positionals;
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (!command) return usage(io, "missing command");
  if (command === "export")
    return usage(
      io,
      "export is not the auditor's: bundles are written at the site (npm run site-export -- --store <dir> --site <id> --out <file>) or as demos (npm run demo-bundle)",
    );
  if (command !== "verify") return usage(io, `unknown command ${command}`);
  if (!file || extra.length > 0) return usage(io, "verify takes exactly one bundle file");
  const periodEndMs = values.until === undefined ? null : parseTime(values.until);
  if (periodEndMs === null && values.until !== undefined)
    return usage(io, `--until takes an ISO 8601 time or epoch milliseconds, got ${values.until}`);
  const workers =
    values.workers === undefined
      ? defaultWorkerCount()
      : /^\d+$/.test(values.workers)
        ? Number(values.workers)
        : NaN;
  if (!Number.isSafeInteger(workers) || workers > 256)
    return usage(io, "--workers takes a whole number up to 256");
  if (values.tariffs === undefined && (values["time-zone"] !== undefined || values.invoices !== undefined))
    return usage(io, "--time-zone and --invoices go with --tariffs");
  if (values.tariffs !== undefined && values["time-zone"] === undefined)
    return usage(io, "--tariffs needs --time-zone <IANA zone> (the site's; OCPI tariffs carry none)");
  const timeZone = values["time-zone"];
  if (timeZone !== undefined && !knownTimeZone(timeZone))
    return usage(io, `--time-zone takes an IANA time zone, got ${timeZone}`);
  const tariffs = values.tariffs === undefined ? null : loadTariffs(values.tariffs);
  const invoices = values.invoices === undefined ? null : loadInvoices(values.invoices);
  for (const loaded of [tariffs, invoices])
    if (loaded && !loaded.ok) {
      io.err(`${loaded.error.message}\n`);
      return EXIT.unreadable;
    }
  const anchors = loadTrustAnchors(values.trust ?? [], values["trust-key"] ?? []);
  if (!anchors.ok) {
    io.err(`${anchors.error.message}\n`);
    return EXIT.unreadable;
  }
  const looks = looksLikeBundle(file);
  if (!looks.ok) {
    if (values.json)
      io.out(JSON.stringify({ ok: false, error: { code: "unreadable_bundle", message: looks.why } }) + "\n");
    else io.err(`${looks.why}\n`);
    return EXIT.unreadable;
  }
  let report: BundleReport;
  try {
    report = await verifyBundleFile(file, { anchors: anchors.value, periodEndMs, workers });
  } catch (e) {
    io.err(`cannot read ${file}: ${(e as Error).message}\n`);
    return EXIT.unreadable;
  }
  if (tariffs?.ok)
    report = checkInvoices(report, {
      tariffs: tariffs.value,
      timeZone: timeZone!,
      invoices: invoices?.ok ? invoices.value : null,
    });
  const code =
    report.verdict === "verified"
      ? EXIT.verified
      : report.verdict === "self-asserted"
        ? EXIT.selfAsserted
        : EXIT.findings;
  if (values.json) io.out(JSON.stringify({ exitCode: code, ...report }, null, 2) + "\n");
  else io.out(reportText(file, report));
  return code;
}

/** Entry point of the bin launcher: runs `main` on the process's streams; 70 on an internal error. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv, stdio);
  } catch (e) {
    process.stderr.write(`chargemesh-audit: internal error: ${(e as Error).stack ?? e}\n`);
    return EXIT.internal;
  }
}

function usage(io: Io, message: string): number {
  io.err(`${message}\n\n${HELP}`);
  return EXIT.usage;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
