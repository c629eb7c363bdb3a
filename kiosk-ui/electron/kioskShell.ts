/**
 * The kiosk's Electron main-process logic, with Electron injected so it is unit-tested without the
 * binary: one window in kiosk mode on the site's own URL, locked to that origin, the security
 * checklist (context isolation, sandbox, no node integration, no new windows, permissions denied, a
 * content security policy), every IPC message validated with zod, and the renderer restarted when
 * it crashes or hangs (with a bound, then a slower retry).
 */
import { z } from "zod";

export const KIOSK_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The IPC messages the preload bridge may send, and nothing else. */
export const kioskIpc = {
  version: { channel: "kiosk:version", request: z.tuple([]) },
  reportProblem: { channel: "kiosk:report-problem", request: z.tuple([z.string().min(1).max(2_000)]) },
} as const;

/** The part of Electron the shell uses (injected; tests pass fakes). */
export interface ElectronLike {
  readonly app: {
    whenReady(): Promise<unknown>;
    on(event: "window-all-closed", l: () => void): void;
    getVersion(): string;
    quit(): void;
  };
  readonly BrowserWindow: new (options: Record<string, unknown>) => KioskWindow;
  readonly ipcMain: {
    handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void;
  };
}

export interface KioskWindow {
  loadURL(url: string): Promise<unknown>;
  readonly webContents: {
    on(event: string, listener: (...args: any[]) => void): void;
    setWindowOpenHandler(h: () => { action: "deny" }): void;
    reload(): void;
    readonly session: {
      setPermissionRequestHandler(
        h: (wc: unknown, permission: string, cb: (ok: boolean) => void) => void,
      ): void;
      webRequest: {
        onHeadersReceived(
          l: (
            d: { responseHeaders?: Record<string, string[]> },
            cb: (r: { responseHeaders: Record<string, string[]> }) => void,
          ) => void,
        ): void;
      };
    };
  };
}

export interface KioskShellOptions {
  /** The site's kiosk URL (its local API serves the renderer), e.g. http://127.0.0.1:8710/. */
  readonly url: string;
  readonly preloadPath: string;
  /** Crashes restarted at once before the shell waits `slowRetryMs` between restarts. */
  readonly maxQuickRestarts?: number;
  readonly slowRetryMs?: number;
  readonly log?: (message: string) => void;
  readonly schedule?: (fn: () => void, ms: number) => void;
}

/** The window's options: kiosk mode and every renderer safety switch. */
export function kioskWindowOptions(preloadPath: string): Record<string, unknown> {
  return {
    kiosk: true,
    fullscreen: true,
    autoHideMenuBar: true,
    backgroundColor: "#ffffff",
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Opens the kiosk and keeps it open. Resolves with the window once the first load started. */
export async function startKioskShell(electron: ElectronLike, o: KioskShellOptions): Promise<KioskWindow> {
  const origin = new URL(o.url).origin;
  const log = o.log ?? (() => undefined);
  const schedule = o.schedule ?? ((fn, ms) => void setTimeout(fn, ms));
  await electron.app.whenReady();
  electron.app.on("window-all-closed", () => electron.app.quit());

  electron.ipcMain.handle(kioskIpc.version.channel, (_e, ...args) => {
    kioskIpc.version.request.parse(args);
    return electron.app.getVersion();
  });
  electron.ipcMain.handle(kioskIpc.reportProblem.channel, (_e, ...args) => {
    const parsed = kioskIpc.reportProblem.request.safeParse(args);
    if (!parsed.success) return false;
    log(`renderer reports: ${parsed.data[0]}`);
    return true;
  });

  const win = new electron.BrowserWindow(kioskWindowOptions(o.preloadPath));
  const wc = win.webContents;
  wc.setWindowOpenHandler(() => ({ action: "deny" }));
  wc.on("will-navigate", (event: { preventDefault(): void }, url: string) => {
    if (sameOrigin(url, origin)) return;
    event.preventDefault();
    log(`blocked navigation to ${url}`);
  });
  wc.session.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  wc.session.webRequest.onHeadersReceived((details, cb) => {
    const headers = { ...(details.responseHeaders ?? {}) };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-security-policy"))
      headers["Content-Security-Policy"] = [KIOSK_CSP];
    cb({ responseHeaders: headers });
  });

  let quickRestarts = 0;
  const restart = (why: string) => {
    quickRestarts++;
    const wait = quickRestarts <= (o.maxQuickRestarts ?? 5) ? 0 : (o.slowRetryMs ?? 10_000);
    log(`renderer ${why}; restarting${wait ? ` in ${wait} ms` : ""}`);
    schedule(() => void win.loadURL(o.url).catch(() => restart("failed to load")), wait);
  };
  wc.on("render-process-gone", (_e: unknown, details: { reason?: string }) =>
    restart(`gone (${details?.reason ?? "unknown"})`),
  );
  wc.on("unresponsive", () => wc.reload());
  wc.on("did-finish-load", () => (quickRestarts = 0));
  wc.on("did-fail-load", () => restart("failed to load (site unreachable?)"));
  await win.loadURL(o.url).catch(() => restart("failed to load"));
  return win;
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
