import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import fastifyStatic from "@fastify/static";
import { LocalApiError } from "./localApiError.js";

/** The kiosk's content security policy: everything from the site itself, nothing inline, no frames. */
export const KIOSK_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Serves the built kiosk renderer (a `vite build` output with index.html) at `/`, with the CSP on
 * every file. Without a build, `/` answers `unavailable` saying which command builds it. The API
 * builds nothing at run time.
 */
export async function kioskStatic(app: FastifyInstance, kioskDir: string | null): Promise<void> {
  const root = kioskDir ? resolve(kioskDir) : null;
  if (!root || !existsSync(join(root, "index.html"))) {
    app.get("/", async () => {
      throw new LocalApiError(
        "unavailable",
        "the kiosk is not built here: run `npm run build -w @chargemesh/kiosk-ui`",
      );
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: "/",
    index: "index.html",
    dotfiles: "deny",
    setHeaders: (res) => {
      res.setHeader("content-security-policy", KIOSK_CSP);
      res.setHeader("x-frame-options", "DENY");
    },
  });
}
