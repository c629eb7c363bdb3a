/**
 * The real edge-node daemon (process, config file, local API) relays a technician's out of service
 * and restart to its OCPP charger: ChangeAvailability and Reset reach an ocpp-rpc strict charger.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { systemClock } from "@chargemesh/shared-model";
import { outOfServiceResponseSchema, restartChargerResponseSchema } from "@chargemesh/shared-model/contracts";
import { technicianTokenDigest } from "@chargemesh/edge-node";
import { until } from "../../../testing/until.js";
import { SimulatedOcppCharger } from "../../src/ocpp/simulatedOcppCharger.js";
import { makeTestPki } from "./ocppTestPki.js";

const dir = mkdtempSync(join(tmpdir(), "cm-ocpp-daemon-rc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "localhost", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });

test("the daemon's local API sends out of service as ChangeAvailability and restart-charger as Reset to its OCPP charger", async () => {
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
      siteId: "daemon-rc",
      meterOperator: { keyId: "op-test", seed: randomBytes(32).toString("hex") },
      revocationPublicKey: randomBytes(32).toString("hex"),
    }),
    { mode: 0o600 },
  );
  const port = await freePort();
  const password = randomBytes(18).toString("base64");
  const token = randomBytes(18).toString("base64url");
  const config = join(dir, "site.json");
  writeFileSync(
    config,
    JSON.stringify({
      siteId: "daemon-rc",
      dataDir: join(dir, "store"),
      gridLimitW: 22_000,
      api: { host: "127.0.0.1", port: 0 },
      technicians: [{ id: "tess", tokenSha256: technicianTokenDigest(token) }],
      keys: { siteKeysFile: keysFile },
      stalls: [{ id: "bay-1", meterId: "cp-rc1-evse1", maxW: 22_000, safeLimitW: 11_000 }],
      ocpp: {
        host: "localhost",
        port,
        securityProfile: 2,
        tls: { keyFile: join(dir, "tls", "key.pem"), certFile: join(dir, "tls", "cert.pem") },
        stations: [
          {
            id: "CP-RC1",
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
  const charger = new SimulatedOcppCharger({
    url: `wss://localhost:${port}/ocpp`,
    stationId: "CP-RC1",
    password,
    tls: { ca: pki.rootPem },
    clock: systemClock,
    hardwareMaxW: 22_000,
  });
  try {
    await until("the daemon runs", () => out.includes("edge-node running"), 60_000);
    const running = out.split("\n").find((l) => l.includes("edge-node running"))!;
    const apiUrl = (JSON.parse(running) as { api: string }).api;
    const post = async (path: string, body: unknown) =>
      (await fetch(apiUrl + path, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      }).then((r) => r.json())) as unknown;
    await charger.connect();
    await until("the charger is provisioned", () => charger.compositeLimitW() === 11_000, 30_000);

    const outOfService = outOfServiceResponseSchema.parse(
      await post("/api/stalls/bay-1/out-of-service", { outOfService: true, note: "daemon test" }),
    );
    expect(outOfService.charger).toEqual({ chargerId: "CP-RC1", evseId: 1, status: "Accepted" });
    expect(charger.availabilityRequests).toEqual([{ operationalStatus: "Inoperative", evse: { id: 1 } }]);
    const restart = restartChargerResponseSchema.parse(
      await post("/api/stalls/bay-1/restart-charger", { type: "OnIdle" }),
    );
    expect(restart.charger).toEqual({ chargerId: "CP-RC1", evseId: null, status: "Accepted" });
    expect(charger.resetRequests).toEqual([{ type: "OnIdle" }]);
    expect(charger.validationFailures).toEqual([]);
  } finally {
    await charger.close();
    daemon.kill("SIGTERM");
  }
  expect(await exited).toBe(0);
}, 90_000);
