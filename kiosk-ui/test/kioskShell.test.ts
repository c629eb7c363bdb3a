import { expect, test } from "vitest";
import { kioskWindowOptions, startKioskShell, KIOSK_CSP } from "../electron/kioskShell.js";
import type { ElectronLike, KioskWindow } from "../electron/kioskShell.js";

/** A fake Electron that records what the shell asks of it. */
function fakeElectron() {
  const handlers = new Map<string, (e: unknown, ...a: unknown[]) => unknown>();
  const events = new Map<string, (...a: any[]) => void>();
  const loads: string[] = [];
  let headerHook:
    | ((
        d: { responseHeaders?: Record<string, string[]> },
        cb: (r: { responseHeaders: Record<string, string[]> }) => void,
      ) => void)
    | null = null;
  let permissionHook: ((wc: unknown, p: string, cb: (ok: boolean) => void) => void) | null = null;
  let options: Record<string, unknown> = {};
  let failLoads = 0;
  class Win implements KioskWindow {
    constructor(o: Record<string, unknown>) {
      options = o;
    }
    loadURL(url: string) {
      loads.push(url);
      return failLoads-- > 0 ? Promise.reject(new Error("ERR_CONNECTION_REFUSED")) : Promise.resolve();
    }
    readonly webContents = {
      on: (e: string, l: (...a: any[]) => void) => void events.set(e, l),
      setWindowOpenHandler: () => undefined,
      reload: () => void loads.push("reload"),
      session: {
        setPermissionRequestHandler: (h: typeof permissionHook) => void (permissionHook = h),
        webRequest: { onHeadersReceived: (l: typeof headerHook) => void (headerHook = l) },
      },
    };
  }
  const electron: ElectronLike = {
    app: {
      whenReady: async () => undefined,
      on: () => undefined,
      getVersion: () => "1.2.3",
      quit: () => undefined,
    },
    BrowserWindow: Win,
    ipcMain: { handle: (c, l) => void handlers.set(c, l) },
  };
  return {
    electron,
    handlers,
    events,
    loads,
    options: () => options,
    headerHook: () => headerHook!,
    permissionHook: () => permissionHook!,
    failNextLoads: (n: number) => (failLoads = n),
  };
}

test("the window follows the security checklist and runs in kiosk mode", () => {
  const o = kioskWindowOptions("/p/preload.cjs") as {
    kiosk: boolean;
    webPreferences: Record<string, unknown>;
  };
  expect(o.kiosk).toBe(true);
  expect(o.webPreferences).toMatchObject({
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webSecurity: true,
    webviewTag: false,
    preload: "/p/preload.cjs",
  });
});

test("navigation is locked to the site, permissions are denied, a CSP is added when missing, IPC is validated", async () => {
  const f = fakeElectron();
  await startKioskShell(f.electron, {
    url: "http://127.0.0.1:8710/",
    preloadPath: "/p",
    schedule: (fn) => fn(),
  });
  let prevented = 0;
  f.events.get("will-navigate")!({ preventDefault: () => prevented++ }, "https://evil.example/");
  f.events.get("will-navigate")!({ preventDefault: () => prevented++ }, "http://127.0.0.1:8710/#/alarms");
  expect(prevented).toBe(1);
  let granted: boolean | null = null;
  f.permissionHook()(null, "media", (ok) => (granted = ok));
  expect(granted).toBe(false);
  let headers: Record<string, string[]> = {};
  f.headerHook()({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
  expect(headers["Content-Security-Policy"]).toEqual([KIOSK_CSP]);
  f.headerHook()(
    { responseHeaders: { "content-security-policy": ["default-src 'self'"] } },
    (r) => (headers = r.responseHeaders),
  );
  expect(headers["Content-Security-Policy"]).toBeUndefined();
  expect(f.handlers.get("kiosk:version")!(null)).toBe("1.2.3");
  expect(() => f.handlers.get("kiosk:version")!(null, "extra")).toThrow();
  expect(f.handlers.get("kiosk:report-problem")!(null, "screen flickers")).toBe(true);
  expect(f.handlers.get("kiosk:report-problem")!(null, 42)).toBe(false);
  expect(f.handlers.get("kiosk:report-problem")!(null, "x".repeat(5_000))).toBe(false);
});

test("a crashed renderer is restarted; after the quick restarts it waits before each retry", async () => {
  const f = fakeElectron();
  const waits: number[] = [];
  await startKioskShell(f.electron, {
    url: "http://127.0.0.1:8710/",
    preloadPath: "/p",
    maxQuickRestarts: 2,
    slowRetryMs: 7_000,
    schedule: (fn, ms) => (waits.push(ms), fn()),
  });
  expect(f.loads).toEqual(["http://127.0.0.1:8710/"]);
  for (let i = 0; i < 3; i++) f.events.get("render-process-gone")!(null, { reason: "crashed" });
  await Promise.resolve();
  expect(f.loads.length).toBe(4);
  expect(waits).toEqual([0, 0, 7_000]);
  f.events.get("did-finish-load")!();
  f.events.get("render-process-gone")!(null, { reason: "oom" });
  expect(waits.at(-1)).toBe(0);
  f.events.get("unresponsive")!();
  expect(f.loads.at(-1)).toBe("reload");
});
