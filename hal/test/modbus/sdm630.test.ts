import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { VirtualClock, meterId } from "@chargemesh/shared-model";
import { Sdm630Meter } from "../../src/modbus/sdm630Meter.js";
import { Sdm630Simulator } from "../../src/modbus/sdm630Simulator.js";
import { runMeterCompliance } from "../../src/compliance/index.js";

const haveSocat = spawnSync("which", ["socat"]).status === 0;
if (!haveSocat && process.env.CI)
  throw new Error("socat is required in CI for the serial-line tests (apt-get install socat)");
if (!haveSocat)
  console.warn("SKIP: socat not installed; the Modbus RTU tests over a pty pair do not run (CI is not set)");

const root = mkdtempSync(join(tmpdir(), "cm-pty-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A real serial line: a socat pty pair with stable link names. */
async function ptyPair(dir: string): Promise<{ a: string; b: string; proc: ChildProcess }> {
  const [a, b] = [join(dir, "meter"), join(dir, "controller")];
  const proc = spawn("socat", [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: "ignore" });
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++)
    await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(a) || !existsSync(b)) throw new Error("socat did not create the pty pair");
  return { a, b, proc };
}

async function rig() {
  const dir = mkdtempSync(join(root, `rig-${n++}-`));
  const line = await ptyPair(dir);
  const sim = await Sdm630Simulator.open(line.a, 1);
  const meter = new Sdm630Meter(
    meterId(`sdm-${n}`),
    { path: line.b, unitId: 1, baudRate: 9600, timeoutMs: 300 },
    new VirtualClock(),
  );
  return { dir, line, sim, meter };
}

const kill = (p: ChildProcess) =>
  new Promise<void>((r) =>
    p.exitCode !== null || p.signalCode !== null ? r() : (p.once("exit", () => r()), p.kill("SIGKILL")),
  );

describe.skipIf(!haveSocat)("Eastron SDM630 over Modbus RTU on a socat pty pair", () => {
  runMeterCompliance("Sdm630Meter", async () => {
    const r = await rig();
    r.sim.importWh = 1_000_000;
    return {
      meter: r.meter,
      deliver: async (wh, powerW) => {
        r.sim.importWh += wh;
        r.sim.powerW = powerW;
      },
      close: async () => {
        await r.meter.close();
        await r.sim.close();
        await kill(r.line.proc);
      },
    };
  });

  test("silence, a bad CRC and an exception become fault codes; the driver recovers", async () => {
    const r = await rig();
    try {
      r.sim.importWh = 42_000;
      expect(await r.meter.read()).toMatchObject({ ok: true, reading: { registerWh: 42_000 } });
      r.sim.fault = "silent";
      expect(await r.meter.read()).toMatchObject({ ok: false, fault: "meter_timeout" });
      r.sim.fault = "bad_crc";
      expect(await r.meter.read()).toMatchObject({ ok: false, fault: "meter_crc_error" });
      r.sim.fault = "exception";
      expect(await r.meter.read()).toMatchObject({ ok: false, fault: "meter_bad_response" });
      r.sim.fault = "none";
      r.sim.importWh = 42_500;
      expect(await r.meter.read()).toMatchObject({ ok: true, reading: { registerWh: 42_500 } });
      r.sim.importWh = 42_000;
      expect(await r.meter.read()).toMatchObject({ ok: false, fault: "meter_register_regressed" });
    } finally {
      await r.meter.close();
      await r.sim.close();
      await kill(r.line.proc);
    }
  });

  test("an unplugged device is meter_disconnected; reads resume when it returns", async () => {
    const r = await rig();
    try {
      r.sim.importWh = 7_000;
      expect((await r.meter.read()).ok).toBe(true);
      await r.sim.close();
      await kill(r.line.proc);
      const gone = await r.meter.read();
      expect(gone.ok).toBe(false);
      if (!gone.ok) expect(["meter_disconnected", "meter_timeout"]).toContain(gone.fault);
      const again = await r.meter.read();
      expect(again).toMatchObject({ ok: false, fault: "meter_disconnected" });
      const line = await ptyPair(r.dir);
      const sim = await Sdm630Simulator.open(line.a, 1);
      sim.importWh = 7_250;
      try {
        expect(await r.meter.read()).toMatchObject({ ok: true, reading: { registerWh: 7_250 } });
      } finally {
        await r.meter.close();
        await sim.close();
        await kill(line.proc);
      }
    } finally {
      await kill(r.line.proc);
    }
  });
});
