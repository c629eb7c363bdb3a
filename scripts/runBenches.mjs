// Runs every `bench:*` script of the root package.json in turn and prints its output. With --record,
// writes each bench's output, with the command, date and machine, into docs/benchmarks.md, replacing
// that bench's previous section. Exit code: the number of benches that failed (0 when all ran).
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";

const record = process.argv.includes("--record");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const scripts = Object.keys(JSON.parse(readFileSync("package.json", "utf8")).scripts).filter(
  (s) => s.startsWith("bench:") && (only.length === 0 || only.includes(s)),
);
const machine = `${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, node ${process.version}`;
const file = "docs/benchmarks.md";
let doc = existsSync(file)
  ? readFileSync(file, "utf8")
  : "# Benchmarks\n\nEach section is written by `npm run bench -- --record` (or `npm run bench -- --record bench:NAME`).\nFigures are from one run on the machine named; ratios against the baseline measured in the same run are what to compare.\n";
let failed = 0;
for (const name of scripts) {
  console.error(`\n== npm run ${name}`);
  const r = spawnSync("npm", ["run", "-s", name], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    failed++;
    console.error(`${name} failed with exit code ${r.status}`);
    continue;
  }
  if (!record) continue;
  // Markdown tables stay as they are; any other output is kept verbatim in a text block.
  const body = r.stdout.includes("|---") ? r.stdout.trim() : "```text\n" + r.stdout.trim() + "\n```";
  const section = `## ${name}\n\nCommand: \`npm run ${name}\` on ${new Date().toISOString().slice(0, 10)}; machine: ${machine}.\n\n${body}\n`;
  const re = new RegExp(`## ${name.replace(/[:]/g, "\\:")}\\n[\\s\\S]*?(?=\\n## |$)`);
  doc = re.test(doc) ? doc.replace(re, section) : `${doc.trimEnd()}\n\n${section}`;
}
if (record) writeFileSync(file, doc.trimEnd() + "\n");
process.exit(failed);
