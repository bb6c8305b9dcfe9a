// The runtime snippets of wasm/README.md, as the tests run them: a fenced
// block whose info string carries `lcm-snippet=<runtime>` (```js
// lcm-snippet=node). The tests run the text exactly as the README shows it;
// only the variables a snippet reads (its environment, a Worker's bindings, a
// page's config file) point it at the emulator.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const wasmDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** wasm/pkg, the built package (wasm/build.sh). */
export const pkgDir = path.join(wasmDir, "pkg");

/** The text of the one README block marked `lcm-snippet=<runtime>`. */
export function readmeSnippet(runtime) {
  const readme = readFileSync(path.join(wasmDir, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/^```\w+ lcm-snippet=(\S+)\n([\s\S]*?)^```$/gm)]
    .filter((m) => m[1] === runtime)
    .map((m) => m[2]);
  if (blocks.length !== 1) {
    throw new Error(`wasm/README.md has ${blocks.length} blocks marked lcm-snippet=${runtime}; expected exactly one`);
  }
  return blocks[0];
}

/** The settings a snippet reads, by the names of the CLI and the Lambda, for `emu`. */
export function emulatorSettings(emu) {
  const { info } = emu;
  return {
    LCM_SCIM_URL: info.scimUrl,
    LCM_SCIM_TOKEN: info.scimToken,
    LCM_ADMIN_API_KEY: info.adminApiKey,
    LCM_SCIM_ORGANIZATION_ID: info.orgId,
    LCM_ADMIN_BASE_URL: info.adminBaseUrl,
    LCM_API_BASE_URL: info.apiBaseUrl,
    LCM_ALLOW_CUSTOM_ENDPOINTS: "true",
  };
}

/**
 * A runtime's binary: this Node for `node`, else one installed by `npm ci` in
 * wasm/ (a pinned devDependency: deno, workerd).
 */
export function runtimeBinary(name) {
  return name === "node" ? process.execPath : path.join(wasmDir, "node_modules", ".bin", name);
}

/** The message a test fails with when a runtime cannot be started. */
export function cannotStart(name, error) {
  return `cannot start ${name} (${runtimeBinary(name)}): ${error.message}; ` +
    `it is a pinned devDependency of wasm/package.json: run npm ci in wasm/ (scripts/test-wasm does)`;
}

/**
 * Asserts what every README snippet does against a fresh emulator: the plan
 * read and wrote nothing, the run created Mary Somerville in both groups, and
 * every request the emulator saw is one the two reports counted.
 */
export async function assertJoinerPlannedAndRun(assert, emu, { plan, report }) {
  assert.equal(plan.outcome, "planned", JSON.stringify(plan, null, 2));
  assert.equal(plan.dryRun, true);
  assert.ok(plan.plan.some((p) => p.method === "POST" && p.url.endsWith("/Users")), JSON.stringify(plan.plan));
  assert.equal(report.outcome, "succeeded", JSON.stringify(report, null, 2));
  assert.deepEqual(
    report.steps.map((s) => [s.operation, s.status]),
    [["create_user", "done"], ["add_membership", "done"], ["add_membership", "done"]],
  );
  const user = await emu.user("mary.somerville@example.com");
  assert.equal(user?.scim.externalId, "E1042");
  assert.deepEqual(user.groups.sort(), ["engineering", "jira-software-users"]);
  assert.equal((await emu.requests()).length, plan.apiCalls + report.apiCalls);
}

/**
 * A fresh directory holding `file` with `text` and the built package
 * installed as node_modules/atlassian-lcm (a link to wasm/pkg), as a consumer
 * has it after `npm install atlassian-lcm`. Returns the directory.
 */
export function consumerDir(file, text, extraFiles = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "lcm-snippet-"));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(pkgDir, path.join(dir, "node_modules", "atlassian-lcm"), "dir");
  writeFileSync(path.join(dir, file), text);
  for (const [name, content] of Object.entries(extraFiles)) writeFileSync(path.join(dir, name), content);
  return dir;
}

/**
 * Runs `binary args` in `cwd` with only `env` (and PATH, HOME) and resolves
 * to its stdout's last line parsed as JSON; rejects with its stderr when it
 * exits non-zero, and with `cannotStart` when it cannot be spawned.
 */
export function runJsonLine(name, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(runtimeBinary(name), args, {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.once("error", (e) => reject(new Error(cannotStart(name, e))));
    child.once("close", (code) => {
      if (code !== 0) return reject(new Error(`${name} ${args.join(" ")} exited with ${code}:\n${err}${out}`));
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${name} printed no JSON line:\n${out}\n${err}`));
      }
    });
  });
}
