// One joiner through the WebAssembly package in Node next to the same joiner
// through the native CLI (`lcm run EVENT.json --json`), on one emulator, reset
// between runs. Prints figures; asserts nothing about time.
//
//   node wasm/bench/joiner.mjs [--runs N] [--warmup N]
//
// Needs wasm/pkg (wasm/build.sh), target/release/lcm (cargo build --release -p
// atlassian-lcm-cli; LCM_BIN overrides) and an emulator binary (release if
// built, else debug; LCM_EMULATOR_BIN overrides).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const release = path.join(root, "target/release/atlassian-emulator");
if (!process.env.LCM_EMULATOR_BIN && existsSync(release)) process.env.LCM_EMULATOR_BIN = release;
const { startEmulator, emulatorBinary } = await import("../tests/support/emulator.mjs");
const { joiner } = await import("../tests/support/fixtures.mjs");

const runsFlag = process.argv.indexOf("--runs");
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 7;
const warmupFlag = process.argv.indexOf("--warmup");
const warmup = warmupFlag > 0 ? Number(process.argv[warmupFlag + 1]) : 5;
const lcmBin = process.env.LCM_BIN ?? path.join(root, "target/release/lcm");
const entry = path.join(root, "wasm/pkg/node/atlassian_lcm_wasm.js");

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

const emu = await startEmulator();
const dir = mkdtempSync(path.join(tmpdir(), "lcm-bench-"));
try {
  const config = emu.config();
  const eventFile = path.join(dir, "joiner.json");
  writeFileSync(eventFile, JSON.stringify(joiner()));

  // 1. In process: load the package once, then one joiner per run.
  const t0 = performance.now();
  const { AtlassianLcm } = (await import(entry)).default;
  const loadMs = performance.now() - t0;
  const lcm = new AtlassianLcm(config);
  // Node's fetch (undici) and the JIT warm up over the first calls: not measured.
  for (let i = 0; i < warmup; i++) {
    await emu.reset();
    await lcm.handleEvent(joiner());
  }
  const inProcess = [];
  for (let i = 0; i < runs; i++) {
    await emu.reset();
    const t = performance.now();
    const report = await lcm.handleEvent(joiner());
    inProcess.push({ wall: performance.now() - t, engine: report.durationMs, calls: report.apiCalls, outcome: report.outcome });
  }

  // 2. A fresh Node process per joiner (load + instantiate + joiner), like a CLI call.
  const script = `
    const { AtlassianLcm } = require(${JSON.stringify(entry)});
    const lcm = new AtlassianLcm(JSON.parse(process.env.CONFIG));
    lcm.handleEvent(JSON.parse(require("fs").readFileSync(${JSON.stringify(eventFile)}, "utf8")))
      .then((r) => console.log(JSON.stringify(r)));`;
  const nodeProcess = [];
  for (let i = 0; i < runs; i++) {
    await emu.reset();
    const t = performance.now();
    const out = execFileSync(process.execPath, ["-e", script], { env: { ...process.env, CONFIG: JSON.stringify(config) } });
    const report = JSON.parse(out);
    nodeProcess.push({ wall: performance.now() - t, engine: report.durationMs, calls: report.apiCalls, outcome: report.outcome });
  }

  // 3. The native CLI, same emulator, same event.
  const cli = [];
  if (existsSync(lcmBin)) {
    const env = {
      ...process.env,
      LCM_SCIM_URL: config.scimUrl,
      LCM_SCIM_TOKEN: config.scimToken,
      LCM_ADMIN_API_KEY: config.adminApiKey,
      LCM_SCIM_ORGANIZATION_ID: config.scimOrganizationId,
      LCM_ADMIN_BASE_URL: config.adminBaseUrl,
      LCM_API_BASE_URL: config.apiBaseUrl,
      LCM_ALLOW_CUSTOM_ENDPOINTS: "true",
    };
    for (let i = 0; i < runs; i++) {
      await emu.reset();
      const t = performance.now();
      const result = spawnSync(lcmBin, ["run", eventFile, "--json"], { env, encoding: "utf8" });
      const wall = performance.now() - t;
      if (result.status !== 0) throw new Error(`lcm run exited ${result.status}: ${result.stderr}`);
      const report = JSON.parse(result.stdout);
      cli.push({ wall, engine: report.durationMs, calls: report.apiCalls, outcome: report.outcome });
    }
  }

  const row = (name, xs) =>
    xs.length
      ? `${name.padEnd(44)} ${ms(median(xs.map((x) => x.wall))).padStart(10)} ${ms(median(xs.map((x) => x.engine))).padStart(10)}` +
        `   first ${ms(xs[0].wall)}, ${xs[0].calls} API calls, ${[...new Set(xs.map((x) => x.outcome))].join("/")}`
      : `${name.padEnd(44)} (not run: ${lcmBin} is missing; cargo build --release -p atlassian-lcm-cli)`;
  console.log(`one joiner (create + 2 groups) on ${emulatorBinary}, median of ${runs} runs, emulator reset before each`);
  console.log(`node ${process.version}; package load + wasm instantiate: ${ms(loadMs)}; in-process runs after ${warmup} warm-up joiners`);
  console.log(`${"".padEnd(44)} ${"wall".padStart(10)} ${"report".padStart(10)}`);
  console.log(row("wasm in Node, in process (handleEvent)", inProcess));
  console.log(row("wasm in Node, fresh process (node -e)", nodeProcess));
  console.log(row("native CLI, fresh process (lcm run --json)", cli));
  console.log("wall: measured around the call or the process; report: the report's durationMs (engine time)");
} finally {
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
}
