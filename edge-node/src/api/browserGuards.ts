import { isIP } from "node:net";
import { LocalApiError } from "./localApiError.js";

/**
 * Host and Origin checks for browser clients. The Host header must name the site by an IP literal,
 * `localhost`, or one of `allowedHosts` (a page that rebinds its own DNS name to the site cannot read
 * the API). A browser's WebSocket to `/live` must come from the site's own origin (the kiosk it
 * serves) or one of `allowedOrigins`; clients that send no Origin (cars, tools) are not browsers.
 */
export interface BrowserGuards {
  checkHost(host: string | undefined): void;
  checkOrigin(origin: string | undefined, host: string | undefined): void;
}

export function browserGuards(
  allowedHosts: readonly string[],
  allowedOrigins: readonly string[],
): BrowserGuards {
  const hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const origins = new Set(allowedOrigins.map((o) => o.toLowerCase()));
  const hostname = (host: string) => {
    const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
    return (bracketed ? bracketed[1]! : host.replace(/:\d+$/, "")).toLowerCase();
  };
  return {
    checkHost(host) {
      if (!host) return; // HTTP/1.0 without Host: not a browser
      const name = hostname(host);
      if (isIP(name) !== 0 || name === "localhost" || hosts.has(name)) return;
      throw new LocalApiError("forbidden", `host ${JSON.stringify(host.slice(0, 100))} is not this site`);
    },
    checkOrigin(origin, host) {
      if (origin === undefined) return;
      const o = origin.toLowerCase();
      if (origins.has(o)) return;
      if (host && (o === `http://${host.toLowerCase()}` || o === `https://${host.toLowerCase()}`)) return;
      throw new LocalApiError(
        "forbidden",
        `origin ${JSON.stringify(origin.slice(0, 100))} may not open the live feed`,
      );
    },
  };
}
