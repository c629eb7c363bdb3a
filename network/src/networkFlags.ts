import { parseArgs } from "node:util";
import { ChargemeshError, err, ok } from "@chargemesh/shared-model";
import type { Result } from "@chargemesh/shared-model";

/** What `npm start` runs, as the command line said it (every number validated). */
export interface NetworkFlags {
  readonly sites: number;
  readonly stalls: number;
  readonly vehicles: number;
  /** Stalls per site served by simulated OCPP 2.0.1 chargers over WebSockets (the rest simulated directly). */
  readonly ocppStalls: number;
  readonly speed: number;
  /** Simulated drivers whose card the payment simulator declines (their debt blocks their contract). */
  readonly decliningDrivers: number;
  /** First site's API port; the cloud's HTTP on +100 and libp2p on +101. 0: any free ports. */
  readonly port: number;
  readonly data: string;
  /** Stop after this many wall-clock seconds (absent: run until Ctrl-C). */
  readonly seconds: number | null;
  readonly summaryEverySeconds: number;
  /** pino JSON logs on stdout instead of files in the data directory. */
  readonly jsonLogs: boolean;
  /** The console's URLs, summaries and restarts as JSON lines instead of text. */
  readonly json: boolean;
  readonly help: boolean;
}

export const NETWORK_USAGE = `usage: npm start -- [options]

Runs a cloud peer and simulated sites, each in its own process under a supervisor that restarts a
crashed one. Prints every URL at start, then a summary every few seconds. Ctrl-C stops everything.

  --sites N           simulated sites (1-20, default 2)
  --stalls N          stalls per site (1-200, default 20)
  --vehicles N        cars arriving per site over the simulated day (0-100000, default 300)
  --ocpp-stalls N     of each site's stalls, how many are simulated OCPP 2.0.1 chargers on the site's
                      own OCPP server (TLS + Basic auth, loopback; 0 to --stalls; default 2, or
                      --stalls when fewer)
  --speed N           simulated seconds per wall-clock second (1-100000, default 60)
  --declining-drivers N
                      simulated drivers whose card the payment SIMULATOR declines: their debt
                      blocks their contract at every site (0-20, default 1)
  --port N            first site's local API port; sites on N, N+1, ...; the cloud's HTTP on N+100,
                      its libp2p on N+101 (1024-65434, or 0 for any free ports; default 8710)
  --data DIR          data directory: stores, identities, credentials, logs (default .data/network)
  --seconds N         stop after N wall-clock seconds (1-31536000; default: run until Ctrl-C)
  --summary-every N   seconds between summaries (1-3600, default 5)
  --json-logs         pino JSON logs on stdout (default: files in DIR/logs/)
  --json              console output (URLs, summaries, restarts) as JSON lines
  -h, --help          this text

Exit codes: 0 stopped, 1 a process could not start, 2 bad command line.`;

const OPTIONS = {
  sites: { type: "string", default: "2" },
  stalls: { type: "string", default: "20" },
  vehicles: { type: "string", default: "300" },
  "ocpp-stalls": { type: "string" },
  speed: { type: "string", default: "60" },
  "declining-drivers": { type: "string", default: "1" },
  port: { type: "string", default: "8710" },
  data: { type: "string", default: ".data/network" },
  seconds: { type: "string" },
  "summary-every": { type: "string", default: "5" },
  "json-logs": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * Parses `npm start`'s arguments strictly: an unknown flag, a missing value, a positional argument or
 * a number that is not a decimal integer in its range is an `invalid_input` error naming the flag.
 */
export function parseNetworkFlags(argv: readonly string[]): Result<NetworkFlags> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    return err(new ChargemeshError("invalid_input", (e as Error).message));
  }
  try {
    const port = integerFlag("port", values.port, 0, 65_434);
    if (port !== 0 && port < 1024)
      throw new ChargemeshError("invalid_input", "--port must be 0 or 1024-65434");
    const sites = integerFlag("sites", values.sites, 1, 20);
    const stalls = integerFlag("stalls", values.stalls, 1, 200);
    const ocppStalls =
      values["ocpp-stalls"] === undefined
        ? Math.min(2, stalls)
        : integerFlag("ocpp-stalls", values["ocpp-stalls"], 0, 200);
    if (ocppStalls > stalls)
      throw new ChargemeshError("invalid_input", "--ocpp-stalls must not exceed --stalls");
    if (values.data.trim() === "") throw new ChargemeshError("invalid_input", "--data must name a directory");
    return ok({
      sites,
      stalls,
      vehicles: integerFlag("vehicles", values.vehicles, 0, 100_000),
      ocppStalls,
      speed: integerFlag("speed", values.speed, 1, 100_000),
      decliningDrivers: integerFlag("declining-drivers", values["declining-drivers"], 0, 20),
      port,
      data: values.data,
      seconds: values.seconds === undefined ? null : integerFlag("seconds", values.seconds, 1, 31_536_000),
      summaryEverySeconds: integerFlag("summary-every", values["summary-every"], 1, 3600),
      jsonLogs: values["json-logs"],
      json: values.json,
      help: values.help,
    });
  } catch (e) {
    if (e instanceof ChargemeshError) return err(e);
    throw e;
  }
}

/** A decimal integer in [min, max]; throws `invalid_input` naming the flag otherwise. */
function integerFlag(name: string, raw: string, min: number, max: number): number {
  if (!/^[0-9]{1,9}$/.test(raw))
    throw new ChargemeshError(
      "invalid_input",
      `--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(raw)}`,
    );
  const n = Number(raw);
  if (n < min || n > max)
    throw new ChargemeshError(
      "invalid_input",
      `--${name} must be an integer from ${min} to ${max}, not ${n}`,
    );
  return n;
}
