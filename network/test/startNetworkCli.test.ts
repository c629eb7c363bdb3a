import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs `npm start --silent -- <args>` (or, `viaNpm` false, its script directly) to its end: exit code and output. */
function npmStart(
  args: readonly string[],
  viaNpm = true,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const [cmd, ...pre] = viaNpm
      ? ["npm", "start", "--silent", "--"]
      : [process.execPath, "--import", "tsx", "network/src/startNetwork.ts"];
    const p = spawn(cmd!, [...pre, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const USAGE = "usage: npm start -- [options]";

describe("npm start's command line", () => {
  it("prints usage on --help and exits 0", async () => {
    const r = await npmStart(["--help"], false);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm start -- \[options\]/m);
  });

  it.each([
    [["--bogus"], true, "Unknown option '--bogus'"],
    [["--stalls", "abc"], true, '--stalls must be an integer from 1 to 200, not "abc"'],
    [["--speed=-1"], false, "--speed must be an integer from 1 to 100000"],
  ])(
    "rejects %j with the error and usage, exit 2, no stack trace (through npm: %s)",
    async (args, viaNpm, message) => {
      const r = await npmStart(args, viaNpm);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain(USAGE);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    },
  );
});
