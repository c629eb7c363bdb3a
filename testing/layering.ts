import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { join, relative, resolve, dirname, sep } from "node:path";

/**
 * The layering rule of DESIGN.md ("Workspaces"): which workspace may import which. Arrows point only
 * down the table; adapters sit just above shared-model; a package is imported only through the subpaths
 * its package.json exports.
 */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  network: [
    "simulation",
    "kiosk-ui",
    "driver-app",
    "edge-node",
    "cloud-peer",
    "auditor",
    "hal",
    "adapters",
    "shared-model",
  ],
  "sync-tests": [
    "network",
    "simulation",
    "edge-node",
    "cloud-peer",
    "auditor",
    "hal",
    "adapters",
    "shared-model",
  ],
  bench: ["network", "simulation", "edge-node", "cloud-peer", "auditor", "hal", "adapters", "shared-model"],
  simulation: ["edge-node", "hal", "adapters", "shared-model"],
  "kiosk-ui": ["shared-model"],
  "driver-app": ["shared-model"],
  "edge-node": ["hal", "adapters", "shared-model"],
  "cloud-peer": ["adapters", "shared-model"],
  auditor: ["shared-model"],
  hal: ["shared-model"],
  adapters: ["shared-model"],
  "shared-model": [],
};

export interface Violation {
  readonly file: string;
  readonly specifier: string;
  readonly rule: "upward-import" | "internal-import" | "relative-escape" | "upward-dependency";
  readonly detail: string;
}

interface Workspace {
  readonly dir: string; // relative to root, e.g. "edge-node" or "adapters/storage-sqlite"
  readonly layer: string; // key of MAY_IMPORT
  readonly name: string | null; // package name
  readonly exports: readonly string[]; // exported subpaths, e.g. [".", "./contracts"]
  readonly dependencies: readonly string[];
}

const SOURCE = /\.(ts|tsx|mts|mjs|js)$/;
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bexport\s+\*\s+from\s*)["']([^"']+)["']/g;

function readWorkspace(root: string, dir: string, layer: string): Workspace {
  const pkgFile = join(root, dir, "package.json");
  if (!existsSync(pkgFile)) return { dir, layer, name: null, exports: [], dependencies: [] };
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as {
    name?: string;
    exports?: unknown;
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const exp = pkg.exports;
  const exports = typeof exp === "string" ? ["."] : exp && typeof exp === "object" ? Object.keys(exp) : ["."];
  return {
    dir,
    layer,
    name: pkg.name ?? null,
    exports,
    dependencies: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})],
  };
}

/** Lists the repository's workspaces with their layer (the DESIGN.md row they belong to). */
export function listWorkspaces(root: string): Workspace[] {
  const out: Workspace[] = [];
  for (const layer of Object.keys(MAY_IMPORT)) {
    if (layer === "adapters") {
      const base = join(root, "adapters");
      if (!existsSync(base)) continue;
      for (const d of readdirSync(base))
        if (statSync(join(base, d)).isDirectory()) out.push(readWorkspace(root, `adapters/${d}`, "adapters"));
    } else if (existsSync(join(root, layer))) out.push(readWorkspace(root, layer, layer));
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (SOURCE.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Every import in the tree that breaks the layering rule or reaches into another package's internals; [] when clean. */
export function findLayeringViolations(root: string): Violation[] {
  const absRoot = resolve(root);
  const workspaces = listWorkspaces(absRoot);
  const byName = new Map(workspaces.filter((w) => w.name).map((w) => [w.name!, w]));
  const violations: Violation[] = [];
  // testing/ holds test support (service gates, TCP proxies, the reporter) that any test may use.
  const testSupport = join(absRoot, "testing") + sep;
  for (const ws of workspaces) {
    const allowed = new Set(MAY_IMPORT[ws.layer]);
    const wsAbs = join(absRoot, ws.dir);
    for (const dep of ws.dependencies) {
      const target = byName.get(dep);
      if (
        target &&
        target !== ws &&
        !allowed.has(target.layer) &&
        !(ws.layer === "adapters" && target.layer === "adapters")
      )
        violations.push({
          file: `${ws.dir}/package.json`,
          specifier: dep,
          rule: "upward-dependency",
          detail: `${ws.layer} may not depend on ${target.layer}`,
        });
    }
    for (const file of sourceFiles(wsAbs)) {
      const text = readFileSync(file, "utf8");
      const rel = relative(absRoot, file);
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1]!;
        if (spec.startsWith(".")) {
          const target = resolve(dirname(file), spec);
          if (!target.startsWith(wsAbs + sep) && !target.startsWith(testSupport))
            violations.push({
              file: rel,
              specifier: spec,
              rule: "relative-escape",
              detail: `leaves ${ws.dir}/ by a relative path`,
            });
          continue;
        }
        const pkgMatch = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(spec);
        if (!pkgMatch) continue;
        const target = byName.get(pkgMatch[1]!);
        if (!target) continue;
        const sub = pkgMatch[2] ? `.${pkgMatch[2]}` : ".";
        if (
          target !== ws &&
          !allowed.has(target.layer) &&
          !(ws.layer === "adapters" && target.layer === "adapters")
        )
          violations.push({
            file: rel,
            specifier: spec,
            rule: "upward-import",
            detail: `${ws.layer} may not import ${target.layer}`,
          });
        else if (!target.exports.includes(sub))
          violations.push({
            file: rel,
            specifier: spec,
            rule: "internal-import",
            detail: `${target.name} exports only ${target.exports.join(", ")}`,
          });
      }
    }
  }
  return violations;
}
