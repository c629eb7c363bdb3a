import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { CloudPeer } from "../sync/cloudPeer.js";

export interface CloudApi {
  readonly url: string;
  close(): Promise<void>;
}

/** The cloud peer's HTTP face: sites' sync state and live figures, health, Prometheus metrics. Errors are JSON with a code. */
export async function startCloudApi(peer: CloudPeer, host: string, port: number): Promise<CloudApi> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const connected = new Gauge({ name: "chargemesh_cloud_sites_connected", help: "Registered sites connected now", registers: [registry] });
  const behind = new Gauge({ name: "chargemesh_cloud_documents_behind", help: "Indexed site documents not held yet", labelNames: ["site"], registers: [registry] });
  const metrics = Registry.merge([registry, peer.live.registry, peer.guardMetrics]);
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = new URL(req.url ?? "/", "http://local").pathname;
    if (req.method !== "GET") return send(405, { error: { code: "invalid_input", message: "GET only" } });
    if (path === "/healthz") return send(200, { ok: true, peerId: peer.node.peerId.toString() });
    const live = /^\/api\/sites\/([^/]+)\/live$/.exec(path);
    if (live) {
      let siteId: string;
      try {
        siteId = decodeURIComponent(live[1]!);
      } catch {
        return send(400, { error: { code: "invalid_input", message: "malformed site ID in path" } });
      }
      if (!peer.live.watching(siteId)) return send(404, { error: { code: "not_found", message: `unknown site ${siteId}` } });
      return send(200, { siteId, live: peer.live.latest(siteId) });
    }
    const state = peer.syncState();
    if (path === "/api/sites") return send(200, { peerId: peer.node.peerId.toString(), listen: peer.node.getMultiaddrs().map(String), sites: state, flaggedPeers: peer.writeGuard.flaggedPeers() });
    if (path === "/metrics") {
      connected.set(state.filter((s) => s.connected).length);
      for (const s of state) behind.set({ site: s.siteId }, s.documentsBehind);
      void metrics.metrics().then((text) => {
        res.writeHead(200, { "content-type": metrics.contentType });
        res.end(text);
      });
      return;
    }
    send(404, { error: { code: "not_found", message: `no route ${path}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
