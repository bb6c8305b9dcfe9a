// The web build as runtimes that hand over the compiled module use it
// (Cloudflare Workers, workerd; see readme_workerd.test.mjs): nothing works
// before initSync({ module }); after it, a joiner plans and runs against the
// emulator with the global fetch, and Symbol.dispose frees like free().
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import { emulatorPerFile } from "./support/emulator.mjs";
import { joiner } from "./support/fixtures.mjs";
import { assertJoinerPlannedAndRun, pkgDir } from "./support/readme.mjs";

const emu = emulatorPerFile();
const web = await import(path.join(pkgDir, "web", "atlassian_lcm_wasm.js"));

test("initSync({ module }) instantiates the web build from a compiled module", async () => {
  assert.throws(() => new web.AtlassianLcm(emu.config()), "the class needs the module first");

  const module = new WebAssembly.Module(readFileSync(path.join(pkgDir, "web", "atlassian_lcm_wasm_bg.wasm")));
  web.initSync({ module });
  const lcm = new web.AtlassianLcm(emu.config());
  const plan = await lcm.plan(joiner());
  const report = await lcm.handleEvent(joiner());
  await assertJoinerPlannedAndRun(assert, emu, { plan, report });

  lcm[Symbol.dispose]();
  assert.throws(() => lcm.capabilities(), "a disposed instance is freed");
});
