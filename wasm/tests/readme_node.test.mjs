// The README's Node snippet, verbatim, as a consumer's main.mjs with the built
// package installed: it plans and runs a joiner against the emulator.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";

import { emulatorPerFile } from "./support/emulator.mjs";
import { assertJoinerPlannedAndRun, consumerDir, emulatorSettings, readmeSnippet, runJsonLine } from "./support/readme.mjs";

const emu = emulatorPerFile();

test("the README's Node snippet plans and runs a joiner", async () => {
  const dir = consumerDir("main.mjs", readmeSnippet("node"));
  try {
    const printed = await runJsonLine("node", ["main.mjs"], { cwd: dir, env: emulatorSettings(emu) });
    await assertJoinerPlannedAndRun(assert, emu, printed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
