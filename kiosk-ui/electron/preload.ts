/**
 * The narrow bridge between the sandboxed renderer and the main process: two calls, arguments
 * checked here and again (with zod) in the main process. Nothing else of Electron or Node is exposed.
 */
import { contextBridge, ipcRenderer } from "electron";

contextBridge.exposeInMainWorld("kioskShell", {
  version: (): Promise<string> => ipcRenderer.invoke("kiosk:version"),
  reportProblem: (text: unknown): Promise<boolean> =>
    typeof text === "string" && text.length > 0 && text.length <= 2_000
      ? ipcRenderer.invoke("kiosk:report-problem", text)
      : Promise.resolve(false),
});
