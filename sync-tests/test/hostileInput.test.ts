import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIVE_FEED_PROTOCOL } from "@chargemesh/shared-model/contracts";
import { NetworkProcess } from "@chargemesh/network";
import type { NetworkEvent, PrintedUrl } from "@chargemesh/network";

/**
 * Issue 16's hostile inputs at the process layer, sent to the real processes of `npm start` (a
 * supervisor, a cloud peer, two sites): after each, no process has exited and every API answers.
 */

const BAD_REQUEST_LINE = "GET //[ HTTP/1.1\r\nHost: x\r\n\r\n";
const BAD_UPGRADE =
  "GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const UNMASKED_FRAME = Buffer.from("810568656c6c6f", "hex");
const FRAME_OF_200_MIB = Buffer.from("82ff000000000c80000001020304", "hex");

let dir: string;
let net: NetworkProcess;
let urls: readonly PrintedUrl[];
const port = (url: string) => Number(new URL(url.replace(/^ws/, "http")).port);
const urlOf = (owner: string, what: string) => urls.find((u) => u.owner === owner && u.what === what)!;

/** Opens a TCP connection, writes `bytes`, and resolves with what came back once the peer closes (or after `holdMs`). */
function exchange(p: number, bytes: string | Buffer, holdMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const s = connect({ host: "127.0.0.1", port: p }, () => s.write(bytes));
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("error", () => undefined);
    const timer = setTimeout(() => s.destroy(), holdMs);
    s.on("close", () => (clearTimeout(timer), resolve(got)));
  });
}

/** A valid `/live` handshake on a site; resolves with the open socket once the 101 arrived. */
function liveSocket(p: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port: p }, () =>
      s.write(
        `GET /live HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${LIVE_FEED_PROTOCOL}\r\n\r\n`,
      ),
    );
    s.on("error", () => undefined);
    s.once("data", (d) =>
      d.toString("latin1").startsWith("HTTP/1.1 101")
        ? resolve(s)
        : reject(new Error(`no 101: ${d.toString("latin1").slice(0, 200)}`)),
    );
    s.once("close", () => reject(new Error("closed before the handshake")));
  });
}

/** GET `url` (from another loopback address, so per-address limits hit by the test's flood do not apply) and its status. */
function status(url: string, header?: string, localAddress = "127.0.0.2"): Promise<number> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = header
      ? { authorization: header.replace(/^Authorization: /, "") }
      : {};
    const req = request(url, { headers, localAddress, agent: false, timeout: 60_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
    req.end();
  });
}

const exits = () => net.events.filter((e: NetworkEvent) => e.event === "child" && e.kind === "exited");

/** Every process is up (none exited since the start) and every API answers. */
async function everythingAnswers(): Promise<void> {
  expect(exits()).toEqual([]);
  const sites = urls.filter((u) => u.what === "site");
  const checks = [
    ...sites.map((u) => status(u.url)),
    ...urls.filter((u) => u.what === "sessions").map((u) => status(u.url, u.credential!.header)),
    status(urlOf("cloud", "sites").url, urlOf("cloud", "sites").credential!.header),
    status(urlOf("cloud", "stations").url),
  ];
  expect(await Promise.all(checks)).toEqual(checks.map(() => 200));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cm-hostile-"));
  net = new NetworkProcess([
    "--port",
    "0",
    "--data",
    dir,
    "--sites",
    "2",
    "--stalls",
    "4",
    "--vehicles",
    "60",
    "--speed",
    "120",
    "--summary-every",
    "2",
  ]);
  urls = (await net.waitFor((e) => e.event === "urls" && e, "the URLs", 400_000)).urls;
  await net.waitFor(
    (e) => e.event === "summary" && e.sites.every((s) => s.sync?.connected) && e,
    "both sites connected to the cloud",
    500_000,
  );
}, 600_000);

afterAll(async () => {
  await net?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("hostile input to npm start's processes", () => {
  it("a request line `new URL` cannot parse, to the cloud's HTTP port and to each site, plain and as a WebSocket upgrade", async () => {
    const cloud = port(urlOf("cloud", "sites").url);
    const sites = urls.filter((u) => u.what === "site").map((u) => port(u.url));
    for (const p of [cloud, ...sites]) {
      await exchange(p, BAD_REQUEST_LINE);
      await exchange(p, BAD_UPGRADE);
    }
    await everythingAnswers();
  }, 300_000);

  it("after a valid /live handshake: an unmasked client frame, and a frame header announcing 200 MiB", async () => {
    for (const u of urls.filter((x) => x.what === "live feed")) {
      for (const frame of [UNMASKED_FRAME, FRAME_OF_200_MIB]) {
        const s = await liveSocket(port(u.url));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => s.destroy(), 10_000);
          s.on("close", () => (clearTimeout(timer), resolve()));
          s.write(frame);
        });
      }
    }
    await everythingAnswers();
  }, 300_000);

  it("2,000 idle TCP connections to each site and to the cloud's HTTP port: the APIs answer meanwhile and afterwards", async () => {
    const targets = [...urls.filter((u) => u.what === "site"), urlOf("cloud", "sites")].map((u) =>
      port(u.url),
    );
    for (const p of targets) {
      const idle: Socket[] = [];
      let settled = 0;
      await new Promise<void>((resolve) => {
        for (let i = 0; i < 2_000; i++) {
          const s = connect({ host: "127.0.0.1", port: p });
          s.on("error", () => undefined);
          const done = () => ++settled === 2_000 && resolve();
          s.once("connect", done);
          s.once("close", (hadError) => hadError && done());
          idle.push(s);
        }
      });
      await everythingAnswers();
      for (const s of idle) s.destroy();
    }
    await everythingAnswers();
  }, 300_000);

  it("300 silent TCP connections and garbage to the cloud's libp2p port", async () => {
    const libp2p = Number(/\/tcp\/(\d+)\//.exec(urlOf("cloud", "libp2p").url)![1]);
    const silent: Socket[] = [];
    for (let i = 0; i < 300; i++) {
      const s = connect({ host: "127.0.0.1", port: libp2p });
      s.on("error", () => undefined);
      silent.push(s);
    }
    await exchange(libp2p, Buffer.alloc(4_096, 0xff));
    await exchange(libp2p, "\x13/multistream/1.0.0\n\xff\xff\xff\xff\xff\xff");
    await everythingAnswers();
    for (const s of silent) s.destroy();
    await everythingAnswers();
  }, 300_000);
});
