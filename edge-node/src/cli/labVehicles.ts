import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { z } from "zod";
import { SimSecureElement, SimVehicle } from "@chargemesh/hal";
import type { SimStall } from "@chargemesh/hal";

/** A line longer than this is refused (the input is a lab operator's, but still bounded). */
const MAX_LINE_CHARS = 64 * 1024;

const command = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("plug"),
    stall: z.string(),
    /** The car's contract chain: a JSON file of base64 DER certificates, leaf first (`chargemesh-pki contract` writes `<out>.chain`). */
    chainFile: z.string(),
    /** The car's secure element file holding its contract key. */
    secureElementFile: z.string(),
    battery: z
      .object({
        capacityWh: z.number().int().positive(),
        socPermille: z.number().int().min(0).max(1000),
        targetPermille: z.number().int().min(0).max(1000),
        maxPowerW: z.number().int().positive(),
      })
      .default({ capacityWh: 60_000, socPermille: 200, targetPermille: 800, maxPowerW: 50_000 }),
  }),
  z.object({ op: z.literal("unplug"), stall: z.string() }),
]);

export interface LabLog {
  info(o: object, m: string): void;
  warn(o: object, m: string): void;
}

/**
 * Lab only (`edge-node --lab-vehicles-stdin`): drives the simulated vehicle links of the daemon's
 * stalls from JSON lines on `input`, so a bench can plug a car that holds a real contract key and
 * certificate chain. Each line is `{"op":"plug","stall":…,"chainFile":…,"secureElementFile":…}` or
 * `{"op":"unplug","stall":…}`. A bad line is logged and skipped; nothing here throws.
 */
export function driveLabVehicles(input: Readable, stalls: ReadonlyMap<string, SimStall>, log: LabLog): void {
  const lines = createInterface({ input, crlfDelay: Infinity });
  lines.on("line", (line) => {
    try {
      if (line.length > MAX_LINE_CHARS)
        return log.warn({ chars: line.length }, "lab vehicle command too long; skipped");
      const parsed = command.safeParse(JSON.parse(line));
      if (!parsed.success)
        return log.warn(
          { issues: parsed.error.issues.map((i) => i.message) },
          "lab vehicle command invalid; skipped",
        );
      const c = parsed.data;
      const stall = stalls.get(c.stall);
      if (!stall)
        return log.warn({ stall: c.stall }, "lab vehicle command names no simulated stall; skipped");
      if (c.op === "unplug") {
        stall.unplug();
        return log.info({ stall: c.stall }, "lab vehicle unplugged");
      }
      if (!existsSync(c.chainFile) || !existsSync(c.secureElementFile))
        return log.warn({ stall: c.stall }, "lab vehicle files missing; skipped");
      const chain = (JSON.parse(readFileSync(c.chainFile, "utf8")) as string[]).map(
        (b) => new Uint8Array(Buffer.from(b, "base64")),
      );
      if (stall.vehicle()) return log.warn({ stall: c.stall }, "stall occupied; lab vehicle not plugged");
      stall.plug(new SimVehicle(c.battery, new SimSecureElement(c.secureElementFile), chain));
      log.info({ stall: c.stall }, "lab vehicle plugged");
    } catch (e) {
      log.warn({ err: (e as Error).message }, "lab vehicle command failed; skipped");
    }
  });
}
