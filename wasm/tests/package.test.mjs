// The package as a consumer installs it: package.json `exports` resolve for
// `import` and `require` under Node, the web entry and types are present.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../pkg");

test("package.json names the entries, and they exist", () => {
  const manifest = JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8"));
  assert.equal(manifest.name, "atlassian-lcm");
  assert.equal(manifest.types, "./index.d.ts");
  const root = manifest.exports["."];
  // Deno matches "node" too: its own condition, listed first, gives it the web build.
  assert.deepEqual(Object.keys(root).slice(0, 3), ["types", "deno", "node"]);
  assert.equal(root.deno, root.default);
  for (const file of [root.types, root.deno, root.node, root.default, manifest.exports["./web"].default, manifest.exports["./web"].types]) {
    assert.ok(existsSync(path.join(pkg, file)), file);
  }
});

test("import and require resolve the Node build by package name", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "lcm-consumer-"));
  try {
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(pkg, path.join(dir, "node_modules", "atlassian-lcm"), "dir");
    const esm = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", 'import { AtlassianLcm } from "atlassian-lcm"; console.log(AtlassianLcm.version)'],
      { cwd: dir, encoding: "utf8" },
    );
    const cjs = execFileSync(
      process.execPath,
      ["-e", 'const { AtlassianLcm } = require("atlassian-lcm"); console.log(typeof AtlassianLcm)'],
      { cwd: dir, encoding: "utf8" },
    );
    assert.match(esm.trim(), /^\d+\.\d+\.\d+/);
    assert.equal(cjs.trim(), "function");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
