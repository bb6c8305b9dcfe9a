// The README's Deno snippet, verbatim, run by the pinned `deno` npm package
// (wasm/package.json) in a consumer directory with the built package in
// node_modules: Deno resolves "atlassian-lcm" through the package's exports
// (the web build), plans and runs a joiner against the emulator, and frees the
// instance through `using` (Symbol.dispose).
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";

import { emulatorPerFile } from "./support/emulator.mjs";
import { assertJoinerPlannedAndRun, consumerDir, emulatorSettings, readmeSnippet, runJsonLine } from "./support/readme.mjs";

const emu = emulatorPerFile();

// As after `deno add npm:atlassian-lcm` in a project that keeps node_modules:
// no registry is asked, the installed package is used.
const project = {
  "package.json": JSON.stringify({ type: "module", dependencies: { "atlassian-lcm": "*" } }),
  "deno.json": JSON.stringify({ nodeModulesDir: "manual" }),
};

test("the README's Deno snippet plans and runs a joiner", async () => {
  const dir = consumerDir("main.js", readmeSnippet("deno"), project);
  try {
    const printed = await runJsonLine(
      "deno",
      ["run", "--quiet", "--config", "deno.json", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", "main.js"],
      { cwd: dir, env: { ...emulatorSettings(emu), DENO_NO_UPDATE_CHECK: "1", DENO_DIR: `${dir}/.deno` } },
    );
    await assertJoinerPlannedAndRun(assert, emu, printed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
