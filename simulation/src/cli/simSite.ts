/**
 * sim:site: one site on virtual time, with simulated stalls, cars and meters, from the first arrival
 * to the last departure; then it exports the ledger bundle and verifies it like an auditor would.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import {
  chainHeads,
  encodeAuditBundle,
  formatTrustAnchors,
  verifyAuditBundle,
} from "@chargemesh/shared-model";
import { SimulatedSite } from "../simulatedSite.js";
import { buildAuditBundle } from "@chargemesh/edge-node";
import { nodeEd25519 } from "@chargemesh/node-ed25519";

const HELP = `npm run sim:site -- [--stalls 20] [--vehicles 200] [--offline] [--block-every N] [--seed 1] [--ocpp-stalls 0] [--data DIR] [--out bundle.cbor] [--json] [--speed N] [--ack-log]

Simulates one site on virtual time (no cloud when --offline), then exports its ledger bundle and
verifies it. --ocpp-stalls N serves the last N stalls by simulated OCPP 2.0.1 chargers over real
WebSockets to the site's own OCPP server (TLS and Basic auth on localhost). Exit 0 when every
session completed and the bundle verifies with delivered energy equal to the sum of session
energies; 1 otherwise; 2 on a usage error.`;

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({
      options: {
        stalls: { type: "string", default: "20" },
        vehicles: { type: "string", default: "200" },
        offline: { type: "boolean", default: false },
        "block-every": { type: "string", default: "0" },
        seed: { type: "string", default: "1" },
        "ocpp-stalls": { type: "string", default: "0" },
        data: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        speed: { type: "string" },
        "ack-log": { type: "boolean", default: false },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [stalls, vehicles, seed] = [values.stalls, values.vehicles, values.seed].map((v) =>
    Number.parseInt(v!, 10),
  ) as [number, number, number];
  const ocppStalls = Number(values["ocpp-stalls"]);
  if (
    !(stalls >= 1 && stalls <= 300 && vehicles >= 0 && Number.isSafeInteger(seed)) ||
    !(Number.isSafeInteger(ocppStalls) && ocppStalls >= 0 && ocppStalls <= stalls)
  ) {
    console.error(`--stalls takes 1-300, --vehicles a whole number, --ocpp-stalls 0 to --stalls\n\n${HELP}`);
    return 2;
  }
  const dataDir = values.data ?? mkdtempSync(join(tmpdir(), "chargemesh-sim-"));
  const log = pino({ level: values.json ? "silent" : "warn" });
  const started = performance.now();
  const speed = values.speed ? Number(values.speed) : 0;
  const startMs = Date.UTC(2026, 5, 1, 5);
  let simStart = startMs;
  const site = await SimulatedSite.create({
    siteId: "sim-site",
    dataDir,
    stalls,
    vehicles,
    seed,
    offline: values.offline,
    blockEvery: Number.parseInt(values["block-every"]!, 10) || 0,
    ocppStalls,
    startMs,
    windowMs: 16 * 3_600_000,
    log,
    onStep: async (now) => {
      if (speed) {
        const aheadMs = (now - simStart) / speed - (performance.now() - started);
        if (aheadMs > 1) await new Promise((r) => setTimeout(r, aheadMs));
      }
      if (!values.json && now % 3_600_000 === 0) {
        const s = site.summary(0);
        process.stderr.write(
          `  ${new Date(now).toISOString().slice(11, 16)} arrived ${s.arrived}, sessions completed ${s.sessions.completed}, energy ${(s.energyWh / 1000).toFixed(0)} kWh\n`,
        );
      }
    },
  });
  simStart = site.clock.now();
  // Every record is acknowledged here only once durable (crash tests compare it with the store).
  if (values["ack-log"])
    site.controller.ledger.onAppend((r) => process.stdout.write(`ack ${r.body.meterId} ${r.body.seq}\n`));
  const summary = await site.run();
  const root = site.controller.site.root.doc();
  const bundle = buildAuditBundle(
    {
      siteId: "sim-site",
      operatorKeys: root.operatorKeys,
      meterCertificates: root.meterCertificates,
      ledger: site.controller.ledgerStore,
      sessions: site.controller.journal.all(),
    },
    site.clock.now(),
  );
  await site.stop();
  const out = values.out ?? join(dataDir, "ledger-bundle.cbor");
  writeFileSync(out, encodeAuditBundle(bundle));
  // What the simulated operator publishes apart from the bundle: its keys, its meters, the site's record-gap policy, the heads it holds.
  const anchors = `${out}.anchors.json`;
  writeFileSync(
    anchors,
    formatTrustAnchors({
      operatorKeys: new Map(Object.entries(root.operatorKeys)),
      meters: new Set(Object.keys(root.meterCertificates)),
      maxRecordGapMs: site.controller.maxRecordGapMs,
      heads: chainHeads(bundle.records),
    }),
  );
  const report = verifyAuditBundle(bundle, nodeEd25519);
  const ok = report.ok && summary.sessions.open === 0 && report.deliveredWh === summary.energyWh;
  const result = {
    ...summary,
    bundle: out,
    anchors,
    records: bundle.records.length,
    verified: report.ok,
    deliveredWh: report.deliveredWh,
    sessionsWh: report.sessionsWh,
    findings: report.findings,
    wallMs: Math.round(performance.now() - started),
    dataDir,
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      `site sim-site, ${stalls} stalls, ${vehicles} cars${values.offline ? ", offline (no cloud)" : ""}, seed ${seed}`,
    );
    console.log(
      `  cars arrived ${summary.arrived}, plugged in ${summary.served}, left without a stall ${summary.turnedAway}`,
    );
    console.log(
      `  sessions: ${summary.sessions.completed} completed, ${summary.sessions.rejected} rejected, ${summary.sessions.failed} failed, ${summary.sessions.open} open`,
    );
    console.log(`  energy in sessions ${summary.energyWh} Wh; meters delivered ${report.deliveredWh} Wh`);
    console.log(
      `  ledger bundle ${out}: ${bundle.records.length} records, ${report.ok ? "verified" : `NOT verified (${report.findings.length} findings)`}`,
    );
    console.log(
      `  ${(summary.simulatedMs / 3_600_000).toFixed(1)} simulated hours in ${(result.wallMs / 1000).toFixed(1)} s`,
    );
    console.log(`  verify it yourself: npm run chargemesh-audit -- verify ${out} --trust ${anchors}`);
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(70);
  },
);
