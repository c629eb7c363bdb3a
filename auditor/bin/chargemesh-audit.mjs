#!/usr/bin/env node
// chargemesh-audit launcher: the TypeScript source through tsx inside the chargemesh monorepo (where
// src/ exists), the built CLI (dist/) in an installed package, which ships no src/.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/chargemeshAudit.ts", import.meta.url);
if (existsSync(source)) await import("tsx/esm");
const cli = await import(
  existsSync(source) ? source.href : new URL("../dist/cli/chargemeshAudit.js", import.meta.url).href
);
process.exitCode = await cli.run(process.argv.slice(2));
