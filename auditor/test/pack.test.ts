import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, expect, test } from "vitest";
import { ROOT, bodyOf, demoBundle, readBundle, writeBundle } from "./bundleForgery.js";

const dir = mkdtempSync(join(tmpdir(), "cm-auditor-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string) => {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: 300_000,
    env: {
      ...process.env,
      npm_config_audit: "false",
      npm_config_fund: "false",
      npm_config_update_notifier: "false",
    },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
};

/**
 * The auditor installed by itself: shared-model and auditor packed with `npm pack` (each package's
 * prepack builds dist/ and writes the packed manifest), installed into an empty folder with nothing
 * else of ours (third-party dependencies from the npm registry), run with plain Node through npx.
 * The packing happens in a copy of the two packages, so the shared working tree is never rewritten.
 */
test("auditor and shared-model, packed and installed alone, verify a genuine bundle and reject a tampered one", () => {
  const src = join(dir, "src");
  for (const pkg of ["shared-model", "auditor"]) {
    mkdirSync(join(src, pkg), { recursive: true });
    for (const entry of ["package.json", "tsconfig.build.json", "src", "bin"]) {
      if (existsSync(join(ROOT, pkg, entry)))
        cpSync(join(ROOT, pkg, entry), join(src, pkg, entry), { recursive: true });
    }
  }
  cpSync(join(ROOT, "scripts/packManifest.mjs"), join(src, "scripts/packManifest.mjs"));
  cpSync(join(ROOT, "tsconfig.json"), join(src, "tsconfig.json"));
  symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"));
  const packs = join(dir, "packs");
  mkdirSync(packs);
  for (const pkg of ["shared-model", "auditor"]) {
    const p = sh("npm", ["pack", "--pack-destination", packs], join(src, pkg));
    expect(p.status, p.out).toBe(0);
    // postpack put the source manifest back.
    expect(JSON.parse(readFileSync(join(src, pkg, "package.json"), "utf8")).exports["."]).toBe(
      "./src/index.ts",
    );
  }
  const tarballs = readdirSync(packs).map((f) => join(packs, f));
  expect(tarballs).toHaveLength(2);

  const app = join(dir, "app");
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "an-auditors-folder", private: true, version: "1.0.0" }),
  );
  const inst = sh("npm", ["install", "--prefer-offline", ...tarballs], app);
  expect(inst.status, inst.out).toBe(0);
  expect(readdirSync(join(app, "node_modules/@chargemesh")).sort()).toEqual(["auditor", "shared-model"]);
  expect(existsSync(join(app, "node_modules/@chargemesh/auditor/src"))).toBe(false);

  const demo = demoBundle(join(dir, "demo.cbor"), 6);
  const ok = sh(
    "npx",
    ["--no-install", "chargemesh-audit", "verify", demo.bundle, "--trust", demo.anchors],
    app,
  );
  expect(ok.out).toContain("verified: every record and claim holds");
  expect(ok.status).toBe(0);

  const b = readBundle(demo.bundle);
  const i = b.records.findIndex((r) => bodyOf(r).seq === 3);
  const flipped = new Uint8Array(b.records[i]!);
  flipped[flipped.length - 1]! ^= 1;
  const tampered = writeBundle(join(dir, "tampered.cbor"), {
    ...b,
    records: b.records.map((r, k) => (k === i ? flipped : r)),
  });
  const bad = sh(
    "npx",
    ["--no-install", "chargemesh-audit", "verify", tampered, "--trust", demo.anchors, "--json"],
    app,
  );
  expect(bad.status, bad.out).toBe(1);
  expect(bad.out).toContain('"code": "bad_signature"');
}, 600_000);
