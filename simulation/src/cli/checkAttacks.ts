/** npm run check:attacks: runs the attack catalogue outside the test runner; prints each case and a pass/fail count. */
import { buildAttackCases } from "../attackCases.js";

const json = process.argv.includes("--json");
const results = [];
for (const c of await buildAttackCases()) {
  let got: string;
  try {
    got = await c.run();
  } catch (e) {
    got = `threw: ${(e as Error).message}`;
  }
  results.push({ name: c.name, expected: c.expected, got, pass: got === c.expected });
}
const passed = results.filter((r) => r.pass).length;
if (json) console.log(JSON.stringify({ results, passed, failed: results.length - passed }, null, 2));
else {
  for (const r of results)
    console.log(
      `${r.pass ? "PASS" : "FAIL"}  ${r.name}: ${r.got}${r.pass ? "" : ` (expected ${r.expected})`}`,
    );
  console.log(`\n${passed} passed, ${results.length - passed} failed`);
}
process.exit(passed === results.length ? 0 : 1);
