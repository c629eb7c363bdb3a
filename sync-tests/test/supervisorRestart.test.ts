import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NetworkProcess } from "@chargemesh/network";
import type { NetworkEvent, NetworkSnapshot } from "@chargemesh/network";

const summary = (e: NetworkEvent): NetworkSnapshot | null => (e.event === "summary" ? e : null);
const siteOf = (s: NetworkSnapshot, siteId: string) => s.sites.find((x) => x.siteId === siteId)!;

/** Whether a process is gone (or a zombie nobody reaped yet). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
  } catch {
    return true;
  }
}

describe("npm start's supervisor (real processes)", () => {
  it("restarts a SIGKILLed site while the other site keeps charging and the cloud keeps syncing; no child outlives a killed supervisor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cm-supervisor-"));
    const net = new NetworkProcess([
      "--port",
      "0",
      "--data",
      dir,
      "--sites",
      "2",
      "--stalls",
      "4",
      "--vehicles",
      "120",
      "--speed",
      "600",
      "--summary-every",
      "1",
    ]);
    try {
      await net.waitFor((e) => e.event === "urls", "the URLs", 400_000);
      const before = await net.waitFor(
        (e) => {
          const s = summary(e);
          return (
            s?.sites.every((x) => x.up && (x.figures?.sessionsCompleted ?? 0) >= 1 && x.sync?.connected) && s
          );
        },
        "both sites charging, connected to the cloud",
        500_000,
      );
      const victim = siteOf(before, "site-1");
      const other = siteOf(before, "site-2");
      const killedAtMs = Date.now();
      process.kill(victim.pid!, "SIGKILL");

      await net.waitFor(
        (e) => e.event === "child" && e.kind === "exited" && e.name === "site-1" && e.signal === "SIGKILL",
        "site-1's exit",
        500_000,
      );
      await net.waitFor(
        (e) => e.event === "child" && e.kind === "restarting" && e.name === "site-1",
        "the restart notice",
        500_000,
      );
      const back = await net.waitFor(
        (e) => e.event === "child" && e.kind === "ready" && e.name === "site-1" && e.start === 2 && e,
        "site-1 back",
        500_000,
      );
      const after = await net.waitFor(
        (e) => {
          const s = summary(e);
          if (!s) return null;
          const restarted = siteOf(s, "site-1");
          const kept = siteOf(s, "site-2");
          return (
            restarted.pid === back.pid &&
            (restarted.figures?.sessionsCompleted ?? -1) >= victim.figures!.sessionsCompleted &&
            (restarted.sync?.lastContactMs ?? 0) > killedAtMs &&
            kept.figures!.sessionsCompleted > other.figures!.sessionsCompleted &&
            (kept.sync?.lastContactMs ?? 0) > killedAtMs &&
            s
          );
        },
        "site-2 charged more sessions and the cloud heard from both sites after the kill",
        500_000,
      );
      // Nothing else stopped: the same site-2 and cloud processes throughout, one exit in all.
      expect(siteOf(after, "site-2").pid).toBe(other.pid);
      expect(after.cloud.pid).toBe(before.cloud.pid);
      expect(net.events.filter((e) => e.event === "child" && e.kind === "exited")).toHaveLength(1);
      expect(siteOf(after, "site-1").restarts).toBe(1);

      const children = [after.cloud.pid!, ...after.sites.map((s) => s.pid!)];
      net.signal("SIGKILL");
      await net.exited;
      // Each child sees its IPC channel close and stops; count the survivors until none is left.
      for (let i = 0; i < 600 && children.some((pid) => !gone(pid)); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(children.filter((pid) => !gone(pid))).toEqual([]);
    } finally {
      net.signal("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 1_500_000);
});
