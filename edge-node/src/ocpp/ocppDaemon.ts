import { readFileSync } from "node:fs";
import type { Clock } from "@chargemesh/shared-model";
import type { SiteConfig } from "../config/siteConfig.js";
import type { SiteConfigDocument } from "../config/siteConfigDocument.js";
import type { OcppSection } from "./ocppConfig.js";
import { OcppSite } from "./ocppSite.js";
import { ocppTotalCost } from "./ocppTotalCost.js";
import { configDocumentLocalList } from "./configDocumentLocalList.js";

/**
 * The daemon's OCPP side from the config file's `ocpp` section: TLS material read from its files, the
 * local list from the config document, pushed again to every charger each `listSyncMs` when it changed;
 * transactions, contract chains and list versions kept in the site's `site.sqlite` across restarts.
 * Throws when a file cannot be read or a station names an unknown stall.
 */
export async function startDaemonOcpp(
  section: OcppSection,
  config: SiteConfig,
  deps: {
    clock: Clock;
    log: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
    configDocument: SiteConfigDocument;
    revocationKey: Uint8Array;
    listSyncMs?: number;
  },
): Promise<{ site: OcppSite; stop(): Promise<void> }> {
  const tls = section.tls
    ? {
        key: readFileSync(section.tls.keyFile),
        cert: readFileSync(section.tls.certFile),
        ...(section.tls.caFile ? { ca: readFileSync(section.tls.caFile) } : {}),
      }
    : undefined;
  if (section.securityProfile === 1)
    deps.log.warn({ port: section.port }, "OCPP security profile 1 (no TLS): lab only");
  const site = await OcppSite.start({
    host: section.host,
    port: section.port,
    securityProfile: section.securityProfile,
    ...(tls ? { tls } : {}),
    heartbeatIntervalS: section.heartbeatIntervalS,
    stations: section.stations.map((s) => ({
      id: s.id,
      ...(s.passwordSha256 ? { passwordSha256: s.passwordSha256 } : {}),
      ...(s.maxW ? { maxW: s.maxW } : {}),
      evses: s.evses,
    })),
    stalls: config.stalls,
    localList: configDocumentLocalList(deps.configDocument, deps.revocationKey),
    totalCost: ocppTotalCost(() => deps.configDocument.current()),
    dataDir: config.dataDir,
    clock: deps.clock,
    log: deps.log,
  });
  const timer = setInterval(() => void site.syncLocalLists(), deps.listSyncMs ?? 60_000);
  timer.unref();
  deps.log.info(
    { url: site.url, stations: section.stations.length, profile: section.securityProfile },
    "OCPP CSMS listening",
  );
  return {
    site,
    stop: async () => {
      clearInterval(timer);
      await site.close();
    },
  };
}

/** The P-256 OCMF keys of certified meters named in the section, by meter ID (for their meter certificates). */
export function ocmfPayloadKeys(section: OcppSection | null, config: SiteConfig): Map<string, Uint8Array> {
  const keys = new Map<string, Uint8Array>();
  const stalls = new Map(config.stalls.map((s) => [s.id as string, s]));
  for (const st of section?.stations ?? []) {
    for (const e of st.evses) {
      const stall = stalls.get(e.stall);
      if (stall && e.ocmfPublicKeyHex)
        keys.set(stall.meterId, Uint8Array.from(Buffer.from(e.ocmfPublicKeyHex, "hex")));
    }
  }
  return keys;
}
