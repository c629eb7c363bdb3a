import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { decodeSignedRecord } from "@chargemesh/shared-model";
import { Sdm630Simulator } from "@chargemesh/hal";
import { provisionSite } from "../src/pkiProvisioning.js";

const haveSocat = spawnSync("which", ["socat"]).status === 0;
if (!haveSocat && process.env.CI) throw new Error("socat is required in CI (apt-get install socat)");
const dir = mkdtempSync(join(tmpdir(), "cm-daemon-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("the daemon refuses to start without its keys, naming the command that creates them; a key file others can read is refused too", async () => {
  const config = join(dir, "nokeys.json");
  const base = {
    siteId: "nokeys-site",
    dataDir: join(dir, "nokeys-store"),
    gridLimitW: 100_000,
    stalls: [{ id: "s1", meterId: "m1", maxW: 50_000 }],
  };
  const run = () =>
    spawnSync(process.execPath, ["--import", "tsx", "edge-node/src/cli/edgeNode.ts", "--config", config], {
      encoding: "utf8",
    });
  writeFileSync(config, JSON.stringify(base));
  const noSection = run();
  expect(noSection.status).toBe(9);
  expect(noSection.stderr).toContain("chargemesh-pki -- site-keys");
  writeFileSync(config, JSON.stringify({ ...base, keys: { siteKeysFile: join(dir, "absent-keys.json") } }));
  const absent = run();
  expect(absent.status).toBe(9);
  expect(absent.stderr).toContain(`no site keys file at ${join(dir, "absent-keys.json")}`);
  const { siteKeysFile } = await provisionSite(join(dir, "nokeys-pki"), "nokeys-site");
  expect(statSync(siteKeysFile).mode & 0o777).toBe(0o600);
  chmodSync(siteKeysFile, 0o644);
  writeFileSync(config, JSON.stringify({ ...base, keys: { siteKeysFile } }));
  const open = run();
  expect(open.status).toBe(2);
  expect(open.stderr).toContain("readable by others");
  const bogus = spawnSync(process.execPath, ["--import", "tsx", "edge-node/src/cli/edgeNode.ts", "--bogus"], {
    encoding: "utf8",
  });
  expect(bogus.status).toBe(2);
  expect(bogus.stderr).toContain("edge-node --config site.json");
}, 90_000);

test.skipIf(!haveSocat)(
  "the edge-node daemon reads a real serial SDM630, serves its API and signs a boot record with the meter's register",
  async () => {
    const [a, b] = [join(dir, "meter-pty"), join(dir, "controller-pty")];
    const socat = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: "ignore",
    });
    for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++)
      await new Promise((r) => setTimeout(r, 20));
    const sim = await Sdm630Simulator.open(a, 3);
    sim.importWh = 123_456;
    const config = join(dir, "site.json");
    const { siteKeysFile } = await provisionSite(dir, "daemon-site");
    writeFileSync(
      config,
      JSON.stringify({
        siteId: "daemon-site",
        dataDir: join(dir, "store"),
        gridLimitW: 100_000,
        api: { host: "127.0.0.1", port: 0 },
        keys: { siteKeysFile },
        stalls: [
          {
            id: "s1",
            meterId: "serial-meter",
            maxW: 50_000,
            meter: { kind: "sdm630", path: b, unitId: 3, baudRate: 9600 },
          },
          { id: "s2", meterId: "sim-meter", maxW: 50_000 },
        ],
      }),
    );
    const daemon = spawn(
      process.execPath,
      ["--import", "tsx", "edge-node/src/cli/edgeNode.ts", "--config", config],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`daemon did not start: ${out}`)), 30_000);
        daemon.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /"api":"(http:\/\/[^"]+)"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const site = (await (await fetch(`${url}/api/site`)).json()) as {
        siteId: string;
        stalls: { stallId: string; phase: string }[];
      };
      expect(site.siteId).toBe("daemon-site");
      expect(site.stalls.map((s) => s.phase)).toEqual(["available", "available"]);
      expect(await (await fetch(`${url}/metrics`)).text()).toContain(
        'chargemesh_ledger_records_total{kind="boot",site="daemon-site"} 2',
      );
      daemon.kill("SIGTERM");
      expect(await new Promise((r) => daemon.once("exit", r))).toBe(0);
      const bundle = join(dir, "bundle.cbor");
      const exp = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "edge-node/src/cli/siteExport.ts",
          "--store",
          join(dir, "store"),
          "--site",
          "daemon-site",
          "--out",
          bundle,
          "--json",
        ],
        { encoding: "utf8" },
      );
      expect(exp.status, exp.stderr).toBe(0);
      // No outside trust anchors here: a consistent bundle is "self-asserted" (exit 4).
      const ver = spawnSync(
        process.execPath,
        ["auditor/bin/chargemesh-audit.mjs", "verify", bundle, "--json"],
        { encoding: "utf8" },
      );
      expect(ver.status, ver.stdout).toBe(4);
      const { decodeAuditBundle } = await import("@chargemesh/shared-model");
      const { readFileSync } = await import("node:fs");
      const decoded = decodeAuditBundle(readFileSync(bundle));
      if (!decoded.ok) throw decoded.error;
      const boot = decoded.value.records
        .map((r) => decodeSignedRecord(r))
        .find((r) => r.ok && r.value.body.meterId === "serial-meter");
      expect(boot?.ok && boot.value.body).toMatchObject({ kind: "boot", seq: 0, registerWh: 123_456 });
    } finally {
      daemon.kill("SIGKILL");
      await sim.close();
      socat.kill("SIGKILL");
    }
  },
  90_000,
);
