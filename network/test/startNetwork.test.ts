import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/** Whether a process is gone (or a zombie nobody reaped yet). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
  } catch {
    return true;
  }
}

describe("npm start on the console (real processes)", () => {
  it("prints every URL with its credential and a readable summary line; every printed HTTP URL answers; SIGTERM stops every process", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-network-"));
    const p = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "network/src/startNetwork.ts",
        "--port",
        "0",
        "--data",
        dir,
        "--sites",
        "1",
        "--stalls",
        "2",
        "--vehicles",
        "20",
        "--speed",
        "120",
        "--summary-every",
        "1",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const seen = new Promise<void>((resolve) =>
      p.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (
          /^ {2}site-1 +up +sim \d\d:\d\d +sessions +\d+ open +\d+ completed +energy +\d+\.\d kWh +power +\d+\.\d of \d+\.\d kW \(\d+%\) +cloud: connected, \d+ documents? behind, last contact \d+ s ago$/m.test(
            out,
          )
        )
          resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => p.on("exit", (code) => resolve(code)));
    try {
      await Promise.race([seen, exited.then(() => Promise.reject(new Error(`npm start exited:\n${out}`)))]);
      expect(out).toMatch(/^ {4}\[technician\] +Authorization: Bearer [A-Za-z0-9_-]{32}$/m);
      expect(out).toMatch(/^ {4}\[operator\] +Authorization: Bearer [A-Za-z0-9_-]{32}$/m);
      expect(out).toMatch(/^ {4}live feed +ws:\/\/127\.0\.0\.1:\d+\/live$/m);
      expect(out).toMatch(/^ {4}libp2p +\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW\w+$/m);
      expect(out).toMatch(/^ {2}cloud +up +1 of 1 sites connected$/m);
      const technician = /\[technician\] +Authorization: (Bearer \S+)/.exec(out)![1]!;
      const operator = /\[operator\] +Authorization: (Bearer \S+)/.exec(out)![1]!;
      const printed = [...out.matchAll(/^ {4}[\w -]+? +(http:\/\/\S+)(?: +\[(technician|operator)\])?$/gm)];
      expect(printed.map((m) => new URL(m[1]!).pathname)).toEqual(
        expect.arrayContaining([
          "/api/site",
          "/api/power/plan",
          "/api/sessions",
          "/metrics",
          "/api/sites",
          "/api/sites/site-1/live",
        ]),
      );
      for (const [, url, needs] of printed) {
        const headers: Record<string, string> = needs
          ? { authorization: needs === "technician" ? technician : operator }
          : {};
        expect({ url, status: (await fetch(url!, { headers })).status }).toEqual({ url, status: 200 });
      }
      const children = [
        ...readFileSync(join(dir, "logs", "supervisor.log"), "utf8").matchAll(/"msg":"child started"/g),
      ].length;
      expect(children).toBe(2);
      const pids = [
        ...readFileSync(join(dir, "logs", "supervisor.log"), "utf8").matchAll(
          /"child":\{"kind":"started","name":"[\w-]+","pid":(\d+)/g,
        ),
      ].map((m) => Number(m[1]));
      p.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(pids.filter((pid) => !gone(pid))).toEqual([]);
    } finally {
      p.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
