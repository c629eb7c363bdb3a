import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { systemClock } from "@chargemesh/shared-model";
import { loadSiteConfig } from "@chargemesh/edge-node";
import { loadOcppSection } from "@chargemesh/edge-node";
import { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";
import { makeTestPki } from "./ocppTestPki.js";

const dir = mkdtempSync(join(tmpdir(), "cm-ocpp-daemon-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "localhost", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });

test("example-ocpp-site.json is a valid site config with an ocpp section", () => {
  const path = join(import.meta.dirname, "../../../edge-node/config/example-ocpp-site.json");
  const config = loadSiteConfig(path);
  const ocpp = loadOcppSection(path)!;
  expect(ocpp.securityProfile).toBe(2);
  const stalls = new Set(config.stalls.map((s) => s.id as string));
  expect(ocpp.stations.flatMap((s) => s.evses.map((e) => e.stall)).every((s) => stalls.has(s))).toBe(true);
  expect(JSON.parse(readFileSync(path, "utf8")).ocpp.tls).toBeDefined();
});

test("the edge-node daemon with an ocpp section (profile 2) serves a charger: boot accepted, provisioned, stopped cleanly", async () => {
  const pki = await makeTestPki(Date.now());
  mkdirSync(join(dir, "tls"));
  writeFileSync(join(dir, "tls", "key.pem"), pki.server.key, { mode: 0o600 });
  writeFileSync(join(dir, "tls", "cert.pem"), pki.server.cert);
  const keysFile = join(dir, "site-keys.json");
  writeFileSync(
    keysFile,
    JSON.stringify({
      format: "chargemesh-site-keys",
      version: 1,
      siteId: "daemon-ocpp",
      meterOperator: { keyId: "op-test", seed: randomBytes(32).toString("hex") },
      revocationPublicKey: randomBytes(32).toString("hex"),
    }),
    { mode: 0o600 },
  );
  const port = await freePort();
  const password = randomBytes(18).toString("base64");
  const config = join(dir, "site.json");
  writeFileSync(
    config,
    JSON.stringify({
      siteId: "daemon-ocpp",
      dataDir: join(dir, "store"),
      gridLimitW: 22_000,
      api: { host: "127.0.0.1", port: 0 },
      keys: { siteKeysFile: keysFile },
      stalls: [{ id: "bay-1", meterId: "cp-d1-evse1", maxW: 22_000, safeLimitW: 11_000 }],
      ocpp: {
        host: "localhost",
        port,
        securityProfile: 2,
        tls: { keyFile: join(dir, "tls", "key.pem"), certFile: join(dir, "tls", "cert.pem") },
        stations: [
          {
            id: "CP-D1",
            passwordSha256: createHash("sha256").update(password).digest("hex"),
            evses: [{ evseId: 1, stall: "bay-1" }],
          },
        ],
      },
    }),
  );
  const daemon = spawn(
    process.execPath,
    ["--import", "tsx", "edge-node/src/cli/edgeNode.ts", "--config", config],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  daemon.stdout.on("data", (d) => (out += d));
  daemon.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => daemon.on("exit", (code) => resolve(code)));
  try {
    for (let i = 0; i < 600 && !out.includes("edge-node running"); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain("OCPP CSMS listening");
    const charger = new SimulatedOcppCharger({
      url: `wss://localhost:${port}/ocpp`,
      stationId: "CP-D1",
      password,
      tls: { ca: pki.rootPem },
      clock: systemClock,
      hardwareMaxW: 22_000,
    });
    await charger.connect();
    for (let i = 0; i < 200 && charger.compositeLimitW() !== 11_000; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(charger.variable("AuthCtrlr", "LocalAuthorizeOffline")).toBe("true");
    expect(charger.compositeLimitW()).toBe(11_000);
    expect(charger.validationFailures).toEqual([]);
    await charger.close();
  } finally {
    daemon.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
  expect(out).toContain("edge-node stopped");
}, 90_000);
