/**
 * chargemesh-pki: the operator's Plug & Charge PKI tooling (ISO 15118-2 profile).
 *   init      V2G root, CPO sub-CAs 1/2, MO sub-CAs 1/2, the revocation key
 *   contract  a contract leaf for an eMAID (over a car secure element's SPKI, or a new key)
 *   site | cloud-peer   a leaf for a site controller or a cloud peer (signed by the CPO sub-CA 2)
 *   revoke    adds a certificate to the revocation list
 *   crl       writes the signed revocation list (what config documents carry to sites)
 *   anchors   writes the trust anchors (the V2G root)
 *   site-keys a site's provisioning file (its meter-certifying operator key, the revocation key)
 *   trust     the operator's trust anchors for auditors and cloud peers (meter-certifying keys)
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { contractId as toContractId, ChargemeshError } from "@chargemesh/shared-model";
import { issueLeaf, issueRoot, issueSubCa } from "@chargemesh/certificate-issuer";
import { certificateFingerprint, signRevocationList } from "@chargemesh/shared-model";
import { nobleEd25519 } from "@chargemesh/shared-model";
import { caSigner, loadPki, savePki, storeCa } from "./pkiStore.js";
import type { PkiState } from "./pkiStore.js";

const HELP = `chargemesh-pki <command> --dir <pki dir> [options] [--json]

  init                                   create the root and sub-CA chains and the revocation key
  contract --emaid E [--spki file] [--days 30] --out leaf.der [--key-out key.pk8]
  site --name N --out leaf.der [--key-out key.pk8] [--days 365]
  cloud-peer --name N --out leaf.der [--key-out key.pk8] [--days 365]
  revoke --cert leaf.der
  crl --out list.bin [--hours 24]
  anchors --out root.der
  site-keys --site ID --out site-keys.json    the site daemon's provisioning file (written 0600)
  trust --out trust.json                      trust anchors for chargemesh-audit --trust and cloud peers

exit codes: 0 done, 2 usage error, 3 bad input, 5 no PKI in --dir, 70 internal error`;

const DAY = 86_400_000;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** Runs the CLI; resolves with the exit code. `nowMs` is injected (tests pin time). */
export async function runPkiCli(argv: string[], io: Io, nowMs = Date.now()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        emaid: { type: "string" },
        spki: { type: "string" },
        days: { type: "string" },
        out: { type: "string" },
        "key-out": { type: "string" },
        name: { type: "string" },
        site: { type: "string" },
        cert: { type: "string" },
        hours: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const cmd = positionals[0];
  if (v.help || !cmd) {
    io.out(HELP + "\n");
    return v.help ? 0 : 2;
  }
  if (!v.dir) return usage(io, "--dir is required");
  const say = (human: string, data: Record<string, unknown>) =>
    io.out(v.json ? JSON.stringify(data) + "\n" : human + "\n");
  const now = new Date(nowMs);
  const days = (d: number) => new Date(nowMs + (v.days ? Number(v.days) : d) * DAY);
  for (const [flag, value, max] of [
    ["--days", v.days, 3650],
    ["--hours", v.hours, 24 * 90],
  ] as const)
    if (value !== undefined && !(/^[1-9][0-9]*$/.test(value) && Number(value) <= max))
      return usage(io, `${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);

  if (cmd === "init") {
    if (loadPki(v.dir)) return usage(io, `${v.dir} already holds a PKI`);
    const span = { notBefore: now, notAfter: new Date(nowMs + 10 * 365 * DAY) };
    const root = await issueRoot({ name: "chargemesh V2G Root CA", serial: "01", pathLength: 2, ...span });
    const rootSigner = { cert: root.cert, privateKey: root.keys!.privateKey };
    const cpo1 = await issueSubCa(
      { name: "chargemesh CPO Sub-CA 1", serial: "02", pathLength: 1, ...span },
      rootSigner,
    );
    const cpo2 = await issueSubCa(
      { name: "chargemesh CPO Sub-CA 2", serial: "03", pathLength: 0, ...span },
      { cert: cpo1.cert, privateKey: cpo1.keys!.privateKey },
    );
    const mo1 = await issueSubCa(
      { name: "chargemesh MO Sub-CA 1", serial: "04", pathLength: 1, ...span },
      rootSigner,
    );
    const mo2 = await issueSubCa(
      { name: "chargemesh MO Sub-CA 2", serial: "05", pathLength: 0, ...span },
      { cert: mo1.cert, privateKey: mo1.keys!.privateKey },
    );
    const state: PkiState = {
      version: 1,
      cas: {
        root: await storeCa(root.der, root.keys!),
        cpo1: await storeCa(cpo1.der, cpo1.keys!),
        cpo2: await storeCa(cpo2.der, cpo2.keys!),
        mo1: await storeCa(mo1.der, mo1.keys!),
        mo2: await storeCa(mo2.der, mo2.keys!),
      },
      revocationSeed: randomBytes(32).toString("base64"),
      meterOperatorSeed: randomBytes(32).toString("base64"),
      revoked: [],
      nextSerial: 16,
    };
    savePki(v.dir, state);
    say(`PKI created in ${v.dir}: V2G root, CPO and MO sub-CA chains, revocation key`, {
      dir: v.dir,
      revocationKey: Buffer.from(
        nobleEd25519.publicKey(Buffer.from(state.revocationSeed, "base64")),
      ).toString("hex"),
    });
    return 0;
  }
  const state = loadPki(v.dir);
  if (!state) {
    io.err(`no PKI in ${v.dir} (run init first)\n`);
    return 5;
  }
  try {
    if (cmd === "contract" || cmd === "site" || cmd === "cloud-peer") {
      if (!v.out) return usage(io, `${cmd} needs --out`);
      const cn = cmd === "contract" ? toContractId(v.emaid ?? "") : v.name;
      if (!cn) return usage(io, `${cmd} needs --name`);
      const issuer = await caSigner(cmd === "contract" ? state.cas.mo2! : state.cas.cpo2!);
      const spki = v.spki ? new Uint8Array(readFileSync(v.spki)) : undefined;
      const serial = (state.nextSerial++).toString(16);
      const leaf = await issueLeaf(cn, serial, now, days(cmd === "contract" ? 30 : 365), issuer, spki);
      const chain = [
        leaf.der,
        Buffer.from((cmd === "contract" ? state.cas.mo2! : state.cas.cpo2!).der, "base64"),
        Buffer.from((cmd === "contract" ? state.cas.mo1! : state.cas.cpo1!).der, "base64"),
      ];
      writeFileSync(v.out, leaf.der);
      writeFileSync(
        `${v.out}.chain`,
        Buffer.from(JSON.stringify(chain.map((d) => Buffer.from(d).toString("base64")))),
      );
      if (leaf.keys && v["key-out"])
        writePrivateFile(
          v["key-out"],
          Buffer.from(await crypto.subtle.exportKey("pkcs8", leaf.keys.privateKey)),
        );
      savePki(v.dir, state);
      say(`issued ${cmd} certificate CN=${cn} serial ${serial} -> ${v.out} (chain in ${v.out}.chain)`, {
        cn,
        serial,
        out: v.out,
        chain: `${v.out}.chain`,
        fingerprint: certificateFingerprint(leaf.der),
      });
      return 0;
    }
    if (cmd === "revoke") {
      if (!v.cert) return usage(io, "revoke needs --cert");
      const fp = certificateFingerprint(new Uint8Array(readFileSync(v.cert)));
      if (!state.revoked.includes(fp)) state.revoked.push(fp);
      savePki(v.dir, state);
      say(`revoked ${fp}`, { revoked: fp, count: state.revoked.length });
      return 0;
    }
    if (cmd === "crl") {
      if (!v.out) return usage(io, "crl needs --out");
      const hours = v.hours ? Number(v.hours) : 24;
      const signed = signRevocationList(
        { issuedAtMs: nowMs, nextUpdateMs: nowMs + hours * 3_600_000, revoked: new Set(state.revoked) },
        Buffer.from(state.revocationSeed, "base64"),
        nobleEd25519,
      );
      writeFileSync(v.out, signed);
      say(`revocation list with ${state.revoked.length} entries -> ${v.out}, next update in ${hours} h`, {
        out: v.out,
        entries: state.revoked.length,
        nextUpdateMs: nowMs + hours * 3_600_000,
      });
      return 0;
    }
    if (cmd === "site-keys") {
      if (!v.out) return usage(io, "site-keys needs --out");
      const site = v.site ?? "";
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(site))
        return usage(io, "site-keys needs --site <site ID>");
      const operator = meterOperator(state);
      savePki(v.dir, state);
      const file: SiteKeysFile = {
        format: "chargemesh-site-keys",
        version: 1,
        siteId: site,
        meterOperator: { keyId: operator.keyId, seed: Buffer.from(operator.seed).toString("hex") },
        revocationPublicKey: Buffer.from(
          nobleEd25519.publicKey(Buffer.from(state.revocationSeed, "base64")),
        ).toString("hex"),
      };
      writePrivateFile(v.out, JSON.stringify(file, null, 2) + "\n");
      say(`site keys for ${site} -> ${v.out} (0600; meter certifying key ${operator.keyId})`, {
        out: v.out,
        siteId: site,
        meterOperatorKeyId: operator.keyId,
      });
      return 0;
    }
    if (cmd === "trust") {
      if (!v.out) return usage(io, "trust needs --out");
      const operator = meterOperator(state);
      savePki(v.dir, state);
      writeFileSync(
        v.out,
        JSON.stringify(
          {
            format: "chargemesh-trust-anchors",
            version: 1,
            operatorKeys: {
              [operator.keyId]: Buffer.from(nobleEd25519.publicKey(operator.seed)).toString("hex"),
            },
          },
          null,
          2,
        ) + "\n",
      );
      say(`trust anchors (meter-certifying key ${operator.keyId}) -> ${v.out}`, {
        out: v.out,
        operatorKeys: [operator.keyId],
      });
      return 0;
    }
    if (cmd === "anchors") {
      if (!v.out) return usage(io, "anchors needs --out");
      writeFileSync(v.out, Buffer.from(state.cas.root!.der, "base64"));
      say(`trust anchor -> ${v.out}`, {
        out: v.out,
        revocationKey: Buffer.from(
          nobleEd25519.publicKey(Buffer.from(state.revocationSeed, "base64")),
        ).toString("hex"),
      });
      return 0;
    }
  } catch (e) {
    if (e instanceof ChargemeshError) {
      io.err(`${e.message}\n`);
      return 3;
    }
    throw e;
  }
  return usage(io, `unknown command ${cmd}`);
}

/** The site daemon's provisioning file (`site-keys`), read by edge-node's siteKeys.ts. */
export interface SiteKeysFile {
  readonly format: "chargemesh-site-keys";
  readonly version: 1;
  readonly siteId: string;
  /** The operator key that certifies this site's meter keys: key ID and hex Ed25519 seed. */
  readonly meterOperator: { readonly keyId: string; readonly seed: string };
  /** The hex Ed25519 public key revocation lists are signed with. */
  readonly revocationPublicKey: string;
}

/** The PKI's meter-certifying key, created on first use in a PKI made before it existed. */
function meterOperator(state: PkiState): { keyId: string; seed: Uint8Array } {
  state.meterOperatorSeed ??= randomBytes(32).toString("base64");
  const seed = new Uint8Array(Buffer.from(state.meterOperatorSeed, "base64"));
  return {
    keyId: `operator-${Buffer.from(nobleEd25519.publicKey(seed)).toString("hex").slice(0, 16)}`,
    seed,
  };
}

/** Writes a file only its owner can read (0600, also when it existed before). */
function writePrivateFile(path: string, content: string | Uint8Array): void {
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function usage(io: Io, m: string): number {
  io.err(`${m}\n\n${HELP}\n`);
  return 2;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  runPkiCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  }).then(
    (c) => process.exit(c),
    (e) => {
      process.stderr.write(`chargemesh-pki: ${(e as Error).stack}\n`);
      process.exit(70);
    },
  );
}
