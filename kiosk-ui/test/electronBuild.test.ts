import { execFileSync } from "node:child_process";
import { builtinModules } from "node:module";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { afterAll, beforeAll, expect, test } from "vitest";

/**
 * `npm run build:electron` (kiosk-ui/electron/buildElectron.ts) into a scratch directory, then the
 * output is loaded with a fake `electron` as the only package beside it: main.js must load and
 * start the shell with the security switches on, preload.cjs must run with nothing but
 * `require("electron")` (what a sandboxed preload gets) and expose only the narrow bridge.
 */
const dir = mkdtempSync(join(tmpdir(), "kiosk-electron-"));
const out = join(dir, "dist-electron");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  execFileSync("npm", ["run", "build:electron", "-w", "@chargemesh/kiosk-ui", "--", out], {
    cwd: join(import.meta.dirname, "..", ".."),
    stdio: "pipe",
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: "1" },
  });
}, 120_000);

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
/** Every module specifier the file imports or requires. */
function specifiers(code: string): string[] {
  const found = [
    ...code.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*["']([^"']+)["']/gm),
    ...code.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...code.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return [...new Set(found)];
}

test("the build writes main.js and preload.cjs that import nothing but electron and node builtins", () => {
  for (const file of ["main.js", "preload.cjs"]) {
    const used = specifiers(readFileSync(join(out, file), "utf8"));
    expect(used, file).toContain("electron");
    expect(
      used.filter((s) => s !== "electron" && !builtins.has(s)),
      file,
    ).toEqual([]);
  }
});

test("main.js loads with only electron beside it and opens the kiosk window with the security settings", async () => {
  // A fake electron package next to the output: the bundle resolves nothing else.
  const fake = join(dir, "node_modules", "electron");
  mkdirSync(fake, { recursive: true });
  writeFileSync(
    join(fake, "package.json"),
    JSON.stringify({ name: "electron", type: "module", main: "index.js" }),
  );
  writeFileSync(
    join(fake, "index.js"),
    `const seen = (globalThis.__kioskFake = { windows: [], handlers: [], loads: [] });
export const app = { whenReady: async () => {}, on() {}, getVersion: () => "0.0.0-test", quit() {} };
export const ipcMain = { handle: (channel) => seen.handlers.push(channel) };
export class BrowserWindow {
  constructor(options) { seen.windows.push(options); }
  async loadURL(url) { seen.loads.push(url); }
  webContents = { on() {}, setWindowOpenHandler() {}, reload() {},
    session: { setPermissionRequestHandler() {}, webRequest: { onHeadersReceived() {} } } };
}`,
  );
  process.env.CHARGEMESH_KIOSK_URL = "http://127.0.0.1:9999/";
  await import(pathToFileURL(join(out, "main.js")).href);
  const seen = (globalThis as { __kioskFake?: { windows: any[]; handlers: string[]; loads: string[] } })
    .__kioskFake!;
  await expect.poll(() => seen.loads).toEqual(["http://127.0.0.1:9999/"]);
  expect(seen.windows).toHaveLength(1);
  const w = seen.windows[0]!;
  expect(w.kiosk).toBe(true);
  expect(w.webPreferences).toMatchObject({
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    webviewTag: false,
  });
  expect(w.webPreferences.preload).toBe(join(out, "preload.cjs"));
  expect(seen.handlers.sort()).toEqual(["kiosk:report-problem", "kiosk:version"]);
});

test("preload.cjs runs as a sandboxed preload (require('electron') only) and exposes just the narrow bridge", async () => {
  const exposed = new Map<string, Record<string, (...a: unknown[]) => Promise<unknown>>>();
  const invoked: unknown[][] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (k: string, api: any) => exposed.set(k, api) },
    ipcRenderer: { invoke: async (...a: unknown[]) => (invoked.push(a), true) },
  };
  const sandboxRequire = (id: string) => {
    if (id === "electron") return electron;
    throw new Error(`a sandboxed preload cannot require ${id}`);
  };
  const code = readFileSync(join(out, "preload.cjs"), "utf8");
  const module = { exports: {} };
  vm.runInNewContext(`(function (require, module, exports) {${code}\n})`, {})(
    sandboxRequire,
    module,
    module.exports,
  );
  expect([...exposed.keys()]).toEqual(["kioskShell"]);
  const bridge = exposed.get("kioskShell")!;
  expect(Object.keys(bridge).sort()).toEqual(["reportProblem", "version"]);
  expect(await bridge.reportProblem!(42)).toBe(false);
  expect(await bridge.reportProblem!("x".repeat(2_001))).toBe(false);
  expect(invoked).toEqual([]);
  expect(await bridge.reportProblem!("meter 3 shows no power")).toBe(true);
  expect(invoked).toEqual([["kiosk:report-problem", "meter 3 shows no power"]]);
});
