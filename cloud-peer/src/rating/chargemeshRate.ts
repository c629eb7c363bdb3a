/**
 * chargemesh-rate: rates an OCPI CDR-style session against an OCPI 2.2.1 tariff and prints the CDR
 * cost fields (exact decimal text, before rounding) and the rounded invoice (docs/rating.md).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  parseCdrSession,
  parseJsonKeepingNumbers,
  parseTariffs,
  rateCdrSession,
  ratingToJson,
} from "@chargemesh/shared-model";
import type { SessionRating } from "@chargemesh/shared-model";

const HELP = `chargemesh-rate --tariff <tariff.json> --cdr <session.json> [--json]

  --tariff  an OCPI 2.2.1 Tariff object, or a JSON list of its versions (the one valid at session start applies)
  --cdr     an OCPI CDR-style session: start_date_time, end_date_time, time_zone (IANA), charging_periods
  --json    print the whole rating as JSON (CDR cost fields, line items, invoice in minor units)
  -h, --help

Numbers are read as the decimal text they are written as; amounts print exactly, before rounding.

exit codes: 0 rated, 2 usage error, 3 invalid file (not JSON, or not a valid tariff/session),
            4 file cannot be read, 5 no tariff version valid at the session start, 70 internal error`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

const EXIT = { ok: 0, usage: 2, invalid: 3, unreadable: 4, noTariff: 5 } as const;

type Loaded<T> = { ok: true; value: T } | { ok: false; code: number; message: string };

function load<T>(
  path: string,
  what: string,
  parse: (v: unknown) => { ok: true; value: T } | { ok: false; error: Error },
): Loaded<T> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return {
      ok: false,
      code: EXIT.unreadable,
      message: `cannot read ${what} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    };
  }
  const json = parseJsonKeepingNumbers(text);
  if (!json.ok)
    return { ok: false, code: EXIT.invalid, message: `${what} file ${path}: ${json.error.message}` };
  const parsed = parse(json.value);
  if (!parsed.ok)
    return { ok: false, code: EXIT.invalid, message: `${what} file ${path}: ${parsed.error.message}` };
  return parsed;
}

function human(r: SessionRating): string {
  const p = (x: { excl_vat: string; incl_vat: string }) => `${x.excl_vat} excl. VAT, ${x.incl_vat} incl. VAT`;
  const minor = (v: bigint) => {
    const e = r.invoice.exponent;
    const s = (v < 0n ? -v : v).toString().padStart(e + 1, "0");
    return `${v < 0n ? "-" : ""}${e ? `${s.slice(0, -e)}.${s.slice(-e)}` : s} ${r.currency}`;
  };
  const c = r.cdr;
  return [
    `tariff ${r.tariff.id}${r.tariff.startDateTime ? ` (version from ${r.tariff.startDateTime})` : ""}, ${r.currency}`,
    `total_cost              ${p(c.total_cost)}${r.limitApplied ? ` (${r.limitApplied} applied)` : ""}`,
    `total_fixed_cost        ${p(c.total_fixed_cost)}`,
    `total_energy_cost       ${p(c.total_energy_cost)}`,
    `total_time_cost         ${p(c.total_time_cost)}`,
    `total_parking_cost      ${p(c.total_parking_cost)}`,
    `total_reservation_cost  ${p(c.total_reservation_cost)}`,
    `total_energy            ${c.total_energy} kWh`,
    `total_time              ${c.total_time} h`,
    `total_parking_time      ${c.total_parking_time} h`,
    `invoice (rounded once, half away from zero):`,
    `  net excl. VAT         ${minor(r.invoice.netExclVatMinor)}`,
    `  VAT                   ${minor(r.invoice.vatMinor)}`,
    `  total incl. VAT       ${minor(r.invoice.totalInclVatMinor)}`,
  ].join("\n");
}

/** Runs the CLI; resolves with the exit code. Never throws for bad flags or bad files. */
export async function runRateCli(argv: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        tariff: { type: "string" },
        cdr: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    return usage(io, (e as Error).message);
  }
  if (values.help) {
    io.out(`${HELP}\n`);
    return EXIT.ok;
  }
  if (!values.tariff || !values.cdr) return usage(io, "--tariff and --cdr are required");
  const tariffs = load(values.tariff, "tariff", parseTariffs);
  if (!tariffs.ok) return fail(io, tariffs.code, tariffs.message);
  const session = load(values.cdr, "session", parseCdrSession);
  if (!session.ok) return fail(io, session.code, session.message);
  const rated = rateCdrSession(tariffs.value, session.value);
  if (!rated.ok)
    return fail(io, rated.error.code === "not_found" ? EXIT.noTariff : EXIT.invalid, rated.error.message);
  io.out(values.json ? `${JSON.stringify(ratingToJson(rated.value), null, 2)}\n` : `${human(rated.value)}\n`);
  return EXIT.ok;
}

function usage(io: Io, m: string): number {
  io.err(`chargemesh-rate: ${m}\n\n${HELP}\n`);
  return EXIT.usage;
}

function fail(io: Io, code: number, m: string): number {
  io.err(`chargemesh-rate: ${m}\n`);
  return code;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  runRateCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  }).then(
    (c) => process.exit(c),
    (e) => {
      process.stderr.write(`chargemesh-rate: internal error: ${(e as Error).stack}\n`);
      process.exit(70);
    },
  );
}
