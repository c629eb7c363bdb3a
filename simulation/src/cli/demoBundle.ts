#!/usr/bin/env node
/**
 * demo-bundle: writes a deterministic demo audit bundle (signed by simulated meters) and the demo
 * operator's trust anchors beside it, for auditors who want to try `chargemesh-audit verify`.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { formatTrustAnchors } from "@chargemesh/shared-model";
import { writeAuditBundle } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";
import { generateDemoLedger } from "../demoLedger.js";

const HELP = `demo-bundle: a deterministic demo audit bundle and its trust anchors

usage:
  demo-bundle --out <bundle> [--anchors <file>] [--sessions 20] [--meters 3] [--checkpoints 5] [--seed 1] [--json]

  --anchors   where the demo operator's trust anchors go (default: <bundle>.anchors.json)

exit codes: 0 written, 2 usage error
`;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        help: { type: "boolean", short: "h" },
        json: { type: "boolean" },
        out: { type: "string", short: "o" },
        anchors: { type: "string" },
        sessions: { type: "string" },
        meters: { type: "string" },
        checkpoints: { type: "string" },
        seed: { type: "string" },
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
  const whole = (v: string | undefined, d: number) =>
    v === undefined ? d : /^\d+$/.test(v) ? Number(v) : NaN;
  const opts = {
    meters: whole(values.meters, 3),
    sessions: whole(values.sessions, 20),
    checkpointsPerSession: whole(values.checkpoints, 5),
    seed: whole(values.seed, 1),
  };
  if (!values.out || !Object.values(opts).every((n) => Number.isSafeInteger(n)) || opts.meters < 1) {
    io.err(
      `--out is required; --meters (at least 1), --sessions, --checkpoints and --seed take whole numbers\n\n${HELP}`,
    );
    return 2;
  }
  const demo = await generateDemoLedger(opts, nodeEd25519);
  const counts = writeAuditBundle(demo, demo.endMs, values.out);
  const anchorsFile = values.anchors ?? `${values.out}.anchors.json`;
  writeFileSync(anchorsFile, formatTrustAnchors(demo.anchors));
  if (values.json) io.out(JSON.stringify({ out: values.out, anchors: anchorsFile, ...counts }) + "\n");
  else
    io.out(
      `wrote ${values.out}: ${counts.records} records, ${counts.claims} session claims; trust anchors in ${anchorsFile}\n`,
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
      process.stderr.write(`demo-bundle: ${(e as Error).stack ?? e}\n`);
      process.exit(70);
    },
  );
}
