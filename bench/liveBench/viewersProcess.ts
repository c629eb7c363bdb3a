/**
 * The viewers of bench:live, in their own process: N WebSocket clients of the server under test,
 * each recording, for every frame, the time from the reading's publication (µs in `siteTimeMs`) to
 * its arrival. Same clock on both sides (one machine).
 */
import WebSocket from "ws";
import { DRIVER_FEED_PROTOCOL, driverFeedProtocols } from "@chargemesh/shared-model/contracts";
import { serveRequests } from "../syncCapacity/ipc.js";

export type ViewersRequest =
  | { cmd: "connect"; url: string; token: string | null; n: number }
  | { cmd: "collect"; perViewer: number; idleMs: number }
  | { cmd: "stop" };

const nowMicros = () => Date.now() * 1000;
const sockets: WebSocket[] = [];
let latencies: number[] = [];
let frames = 0;

function open(url: string, token: string | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, token ? driverFeedProtocols(token) : [DRIVER_FEED_PROTOCOL], {
      perMessageDeflate: false,
    });
    ws.on("error", reject);
    ws.on("message", (data) => {
      const text = data.toString();
      if (!text.startsWith('{"type":"frame"')) {
        if (text.startsWith('{"type":"hello"')) resolve();
        return;
      }
      const at = text.indexOf('"siteTimeMs":');
      const sent = Number.parseInt(text.slice(at + 13), 10);
      latencies.push(nowMicros() - sent);
      frames++;
    });
    ws.on("open", () => {
      sockets.push(ws);
      if (token) ws.send(JSON.stringify({ type: "resume", positions: [] }));
      else resolve();
    });
  });
}

async function connect(url: string, token: string | null, n: number): Promise<{ connected: number }> {
  const inFlight = 200;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await open(url, token);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { connected: sockets.length };
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

serveRequests(async (req: ViewersRequest) => {
  switch (req.cmd) {
    case "connect":
      return connect(req.url, req.token, req.n);
    case "collect": {
      // Until every frame arrived, or none arrived for `idleMs` (frames lost or a viewer stalled).
      const want = req.perViewer * sockets.length;
      let seen = frames;
      let lastProgress = Date.now();
      while (frames < want && Date.now() - lastProgress < req.idleMs) {
        await new Promise((r) => setTimeout(r, 50));
        if (frames !== seen) {
          seen = frames;
          lastProgress = Date.now();
        }
      }
      const sorted = Float64Array.from(latencies).sort();
      const result = {
        frames,
        expected: want,
        p50Ms: percentile(sorted, 50) / 1000,
        p99Ms: percentile(sorted, 99) / 1000,
        maxMs: percentile(sorted, 100) / 1000,
      };
      latencies = [];
      frames = 0;
      return result;
    }
    case "stop":
      for (const ws of sockets) ws.terminate();
      setImmediate(() => process.exit(0));
      return null;
  }
});
