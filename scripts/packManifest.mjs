#!/usr/bin/env node
// npm pack support for workspaces that run from TypeScript source in the monorepo (exports point at
// ./src/*.ts) but must run on plain Node once packed. `prepack` (after the package's tsc build to
// dist/) keeps package.json as .package.json.source and writes the packed manifest, whose exports
// point at dist/*.js (npm 11 packs the package.json it finds on disk after prepack); `postpack` puts
// the source manifest back. A manifest left over by an interrupted pack is restored first.
import { copyFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const SOURCE = ".package.json.source";
const step = process.argv[2];

function restore() {
  if (existsSync(SOURCE)) renameSync(SOURCE, "package.json");
}

/** "./src/a/b.ts" -> "./dist/a/b.js"; other targets unchanged. (No declarations are shipped: the packed
 * packages are for running; TypeScript users of chargemesh work in the monorepo against the sources.) */
function built(target) {
  if (typeof target !== "string" || !/^\.\/src\/.*\.ts$/.test(target)) return target;
  return target.replace(/^\.\/src\//, "./dist/").replace(/\.ts$/, ".js");
}

if (step === "prepack") {
  restore();
  const manifest = JSON.parse(readFileSync("package.json", "utf8"));
  for (const [sub, target] of Object.entries(manifest.exports ?? {})) {
    if (!existsSync(built(target)))
      throw new Error(`packManifest: ${sub} -> ${target} has no build output; run the build first`);
  }
  copyFileSync("package.json", SOURCE);
  manifest.exports = Object.fromEntries(
    Object.entries(manifest.exports ?? {}).map(([sub, target]) => [sub, built(target)]),
  );
  delete manifest.scripts;
  delete manifest.devDependencies;
  writeFileSync("package.json", JSON.stringify(manifest, null, 2) + "\n");
} else if (step === "postpack") {
  restore();
} else {
  process.stderr.write("usage: packManifest.mjs prepack|postpack\n");
  process.exit(2);
}
