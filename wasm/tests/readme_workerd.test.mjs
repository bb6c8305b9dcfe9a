// The README's Worker snippet, verbatim, served by workerd — Cloudflare's
// open-source Workers runtime, the pinned `workerd` npm package
// (wasm/package.json). The test writes the workerd config: the snippet as the
// main module, the web build's glue as "atlassian-lcm/web" and its .wasm as
// "atlassian-lcm/wasm" (workerd hands the script a WebAssembly.Module, as
// Wrangler does), the settings as text bindings, and an outbound network that
// may reach 127.0.0.1 (workerd's default reaches public addresses only). Then
// it POSTs a joiner to the worker, which plans and runs it against the emulator.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect, createServer } from "node:net";
import { rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

import { startEmulator } from "./support/emulator.mjs";
import { joiner } from "./support/fixtures.mjs";
import {
  assertJoinerPlannedAndRun,
  cannotStart,
  consumerDir,
  emulatorSettings,
  readmeSnippet,
  runtimeBinary,
} from "./support/readme.mjs";

/** A port nothing listens on now (the kernel's pick for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The capnp text (a capnp string literal is JSON-compatible for these values). */
function workerdConfig(port, settings) {
  const bindings = Object.entries(settings)
    .map(([name, text]) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(text)})`)
    .join(",\n      ");
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .lcmWorker),
    (name = "emulator-net", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);

const lcmWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "atlassian-lcm/web", esModule = embed "node_modules/atlassian-lcm/web/atlassian_lcm_wasm.js"),
    (name = "atlassian-lcm/wasm", wasm = embed "node_modules/atlassian-lcm/web/atlassian_lcm_wasm_bg.wasm"),
  ],
  compatibilityDate = "2026-11-01",
  globalOutbound = "emulator-net",
  bindings = [
      ${bindings}
  ],
);
`;
}

let emu, dir, workerd, port;
let stderr = "";
let exited = null;

before(async () => {
  emu = await startEmulator();
  port = await freePort();
  dir = consumerDir("worker.js", readmeSnippet("worker"));
  writeFileSync(`${dir}/config.capnp`, workerdConfig(port, emulatorSettings(emu)));
  workerd = spawn(runtimeBinary("workerd"), ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  workerd.stdout.on("data", (d) => (stderr += d));
  workerd.stderr.on("data", (d) => (stderr += d));
  const spawnError = new Promise((resolve) => workerd.once("error", resolve));
  workerd.once("exit", (code, signal) => (exited = { code, signal }));
  await waitForWorker(spawnError);
});

after(async () => {
  if (workerd && exited === null) {
    const done = new Promise((resolve) => workerd.once("exit", resolve));
    workerd.kill("SIGTERM");
    const timer = setTimeout(() => workerd.kill("SIGKILL"), 5_000);
    await done;
    clearTimeout(timer);
  }
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** True when something accepts a TCP connection on 127.0.0.1:port (no request is sent). */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Polls the socket until workerd answers; fails with its output if it stops or never listens. */
async function waitForWorker(spawnError) {
  let error = null;
  spawnError.then((e) => (error = e));
  for (let attempt = 0; attempt < 300; attempt++) {
    if (error) throw new Error(cannotStart("workerd", error));
    if (exited) throw new Error(`workerd exited (${JSON.stringify(exited)}) before it listened:\n${stderr}`);
    if (await accepts(port)) return;
    await sleep(100);
  }
  throw new Error(`workerd did not listen on 127.0.0.1:${port} within 30 s:\n${stderr}`);
}

test("the README's Worker snippet plans and runs a joiner in workerd", async () => {
  await emu.reset();
  const res = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: JSON.stringify(joiner()) });
  const text = await res.text();
  assert.equal(res.status, 200, `${text}\n${stderr}`);
  await assertJoinerPlannedAndRun(assert, emu, JSON.parse(text));
});
