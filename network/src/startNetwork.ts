/**
 * npm start: the network on its embedded default. A supervisor (this process) runs the cloud peer
 * (SQLite, libp2p and HTTP on localhost) and each simulated site (SQLite store, simulated stalls,
 * cars and meters, local API on localhost) in its own process, restarts any that crashes with
 * backoff, prints every URL at start and a running summary every few seconds. JSON logs go to files
 * in the data directory (stdout with --json-logs). Exit codes: 0 stopped, 1 a process could not
 * start, 2 bad command line. (This is the only code besides tests and benches that wires edge-node
 * and cloud-peer together; neither package imports the other.)
 */
import { join, relative, resolve } from "node:path";
import pino from "pino";
import { freePorts } from "./freePorts.js";
import { driverAppBuild, kioskBuild } from "./builtApps.js";
import { ConsoleReport } from "./consoleReport.js";
import { DEMO_TARIFF_FILE, DEMO_TIME_ZONE } from "./demoTariff.js";
import { NETWORK_USAGE, parseNetworkFlags } from "./networkFlags.js";
import { NetworkSupervisor } from "./networkSupervisor.js";

async function main(): Promise<number> {
  const parsed = parseNetworkFlags(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`npm start: ${parsed.error.message}\n\n${NETWORK_USAGE}\n`);
    return 2;
  }
  const flags = parsed.value;
  if (flags.help) {
    process.stdout.write(`${NETWORK_USAGE}\n`);
    return 0;
  }
  const dataDir = resolve(flags.data);
  const base = flags.port;
  const wanted = Array.from({ length: flags.sites }, (_, i) => (base === 0 ? 0 : base + i));
  const ports = await freePorts("127.0.0.1", [
    ...wanted,
    base === 0 ? 0 : base + 100,
    base === 0 ? 0 : base + 101,
  ]);
  const report = new ConsoleReport(
    flags.json,
    flags.jsonLogs && !flags.json ? process.stderr : process.stdout,
  );
  const log = pino(
    { base: { pid: process.pid, role: "supervisor" } },
    pino.destination({
      dest: flags.jsonLogs ? 1 : join(dataDir, "logs", "supervisor.log"),
      sync: true,
      mkdir: true,
    }),
  );
  const kioskDir = kioskBuild();
  const driverAppDir = driverAppBuild();
  const supervisor = new NetworkSupervisor(
    {
      sites: flags.sites,
      stalls: flags.stalls,
      vehicles: flags.vehicles,
      ocppStalls: flags.ocppStalls,
      speed: flags.speed,
      decliningDrivers: flags.decliningDrivers,
      dataDir,
      jsonLogs: flags.jsonLogs,
      sitePorts: ports.slice(0, flags.sites),
      cloudHttpPort: ports[flags.sites]!,
      cloudLibp2pPort: ports[flags.sites + 1]!,
      kioskDir,
      driverAppDir,
    },
    (e) => {
      log.info({ child: e }, `child ${e.kind}`);
      report.child(e);
    },
  );

  let summaryTimer: ReturnType<typeof setInterval> | null = null;
  let stopping: Promise<number> | null = null;
  const stop = (why: string, code: number) =>
    (stopping ??= (async () => {
      report.stopping = true;
      if (summaryTimer) clearInterval(summaryTimer);
      log.info({ why }, "stopping");
      report.note(`stopping (${why}) ...`);
      await supervisor.stop();
      log.info({}, "stopped");
      return code;
    })());
  const stopRequested = new Promise<number>((done) => {
    process.once("SIGINT", () => done(stop("SIGINT", 0)));
    process.once("SIGTERM", () => done(stop("SIGTERM", 0)));
    if (flags.seconds !== null)
      setTimeout(() => done(stop(`--seconds ${flags.seconds}`, 0)), flags.seconds * 1000).unref();
    supervisor.failed.catch((e: Error) => {
      report.note(`npm start: ${e.message}`);
      done(stop("a process could not be kept running", 1));
    });
  });

  report.note(
    `chargemesh: starting a cloud peer and ${flags.sites} simulated sites in ${dataDir} (logs in ${join(dataDir, "logs")}) ...`,
  );
  const started = await Promise.race([supervisor.start(), stopRequested.then(() => null)]);
  if (started === null) return stopRequested;
  if (!started.ok) {
    report.note(`npm start: ${started.error.message} (see ${join(dataDir, "logs")})`);
    return stop("a process could not start", 1);
  }
  report.urls(
    `chargemesh: a cloud peer and ${flags.sites} simulated sites (${flags.stalls} stalls of which ${flags.ocppStalls} OCPP chargers, ${flags.vehicles} cars a day each) at ${flags.speed}x real time, each in its own process`,
    started.value,
  );
  report.note(
    `billing: every completed session is invoiced at the demo tariff (${relative(process.cwd(), DEMO_TARIFF_FILE)}, local time ${DEMO_TIME_ZONE}) into ${join(dataDir, "cloud", "billing.sqlite")}; payments go to the payment SIMULATOR, no real card is charged`,
  );
  summaryTimer = setInterval(() => report.summary(supervisor.snapshot()), flags.summaryEverySeconds * 1000);
  return stopRequested;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`npm start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  },
);
