import { join } from "node:path";
import { runPkiCli } from "@chargemesh/cloud-peer";

/** Runs `chargemesh-pki` in-process; rejects with its output when it exits non-zero. */
export async function pki(args: string[]): Promise<string> {
  let out = "";
  let err = "";
  const code = await runPkiCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  if (code !== 0) throw new Error(`chargemesh-pki ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

/** An operator PKI in `dir` and a site keys file for `siteId` from it, as an operator provisions a site. */
export async function provisionSite(
  dir: string,
  siteId: string,
): Promise<{ pkiDir: string; siteKeysFile: string }> {
  const pkiDir = join(dir, "pki");
  await pki(["init", "--dir", pkiDir]);
  const siteKeysFile = join(dir, `${siteId}-keys.json`);
  await pki(["site-keys", "--dir", pkiDir, "--site", siteId, "--out", siteKeysFile]);
  return { pkiDir, siteKeysFile };
}
