import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { findLayeringViolations } from "../layering.js";

const repoRoot = join(import.meta.dirname, "..", "..");

describe("layering (DESIGN.md workspaces table)", () => {
  test("no workspace imports up the table or into another package's internals", () => {
    const found = findLayeringViolations(repoRoot);
    expect(found.map((v) => `${v.file}: ${v.specifier} (${v.rule}: ${v.detail})`)).toEqual([]);
  });

  const fixture = mkdtempSync(join(tmpdir(), "layering-"));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));
  const pkg = (
    dir: string,
    name: string,
    deps: Record<string, string> = {},
    exports: Record<string, string> = { ".": "./src/index.ts" },
  ) => {
    mkdirSync(join(fixture, dir, "src"), { recursive: true });
    writeFileSync(join(fixture, dir, "package.json"), JSON.stringify({ name, exports, dependencies: deps }));
  };
  pkg(
    "shared-model",
    "@x/shared-model",
    {},
    { ".": "./src/index.ts", "./contracts": "./src/contracts/index.ts" },
  );
  pkg("edge-node", "@x/edge-node", { "@x/cloud-peer": "0" });
  pkg("cloud-peer", "@x/cloud-peer");
  pkg("kiosk-ui", "@x/kiosk-ui");
  writeFileSync(join(fixture, "shared-model/src/index.ts"), `import { x } from "@x/edge-node";\n`);
  writeFileSync(
    join(fixture, "edge-node/src/a.ts"),
    `import { CloudPeer } from "@x/cloud-peer";\nimport { y } from "@x/shared-model/ledger/chainVerifier";\nimport { z } from "../../cloud-peer/src/index.js";\n`,
  );
  writeFileSync(
    join(fixture, "kiosk-ui/src/b.tsx"),
    `import type { C } from "@x/shared-model/contracts";\nimport("@x/edge-node");\n`,
  );

  test("it fails on an upward import, an internal import, a relative escape and an upward dependency", () => {
    const found = findLayeringViolations(fixture).map((v) => `${v.file} ${v.rule} ${v.specifier}`);
    expect(found.sort()).toEqual(
      [
        "edge-node/package.json upward-dependency @x/cloud-peer",
        "edge-node/src/a.ts upward-import @x/cloud-peer",
        "edge-node/src/a.ts internal-import @x/shared-model/ledger/chainVerifier",
        "edge-node/src/a.ts relative-escape ../../cloud-peer/src/index.js",
        "kiosk-ui/src/b.tsx upward-import @x/edge-node",
        "shared-model/src/index.ts upward-import @x/edge-node",
      ].sort(),
    );
  });
});
