// The web build in headless Chromium: a page served from 127.0.0.1 imports
// pkg/web/index.js (the .wasm is fetched beside it), plans a joiner and runs a
// check against the emulator over CORS with the browser's own fetch; and the
// README's browser snippet, served verbatim with the package under
// /node_modules/atlassian-lcm/ and the emulator's config as /lcm-config.json,
// plans and runs a joiner.
//
// Chromium is Debian's /usr/bin/chromium (CHROMIUM overrides), driven by
// playwright-core with a fresh profile.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { startEmulator } from "../support/emulator.mjs";
import { joiner } from "../support/fixtures.mjs";
import { assertJoinerPlannedAndRun, readmeSnippet } from "../support/readme.mjs";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pkg");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };

const page = `<!doctype html>
<meta charset="utf-8">
<title>atlassian-lcm in the browser</title>
<script type="module">
  try {
    const { AtlassianLcm } = await import("/pkg/web/index.js");
    const input = await (await fetch("/input.json")).json();
    const lcm = new AtlassianLcm(input.config);
    const plan = await lcm.plan(input.event);
    const check = await lcm.check(["engineering"]);
    let refused = null;
    try { await lcm.handleEvent({ ...input.event, worker: {} }); } catch (e) { refused = { name: e.name, code: e.code, field: e.field }; }
    window.__result = { version: AtlassianLcm.version, plan, check, refused };
  } catch (e) {
    window.__result = { crash: String(e && e.stack || e) };
  }
</script>`;

/** Serves the page, its input and wasm/pkg on 127.0.0.1. */
function serve(input) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/") return send(res, 200, ".html", page);
    if (url.pathname === "/input.json") return send(res, 200, ".json", JSON.stringify(input));
    if (url.pathname === "/readme.html") return send(res, 200, ".html", readmeSnippet("browser"));
    if (url.pathname === "/lcm-config.json") return send(res, 200, ".json", JSON.stringify(input.config));
    const prefix = ["/pkg/", "/node_modules/atlassian-lcm/"].find((p) => url.pathname.startsWith(p));
    if (prefix) {
      const file = path.join(pkg, path.normalize(url.pathname.slice(prefix.length)));
      if (file.startsWith(pkg) && statSync(file, { throwIfNoEntry: false })?.isFile()) {
        return send(res, 200, path.extname(file), readFileSync(file));
      }
    }
    send(res, 404, ".html", "not found");
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function send(res, status, ext, body) {
  res.writeHead(status, { "content-type": types[ext] ?? "application/octet-stream", "cache-control": "no-store" });
  res.end(body);
}

let emu, server, context, profile;
before(async () => {
  emu = await startEmulator();
  server = await serve({ config: emu.config(), event: joiner() });
  profile = mkdtempSync(path.join(tmpdir(), "lcm-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
});
after(async () => {
  await context?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await emu?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test("the web build plans a joiner against the emulator from a page", async () => {
  await emu.reset();
  const tab = await context.newPage();
  const errors = [];
  tab.on("pageerror", (e) => errors.push(String(e)));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
  const result = await tab.evaluate(() => window.__result);
  assert.equal(result.crash, undefined, result.crash);
  assert.deepEqual(errors, []);

  assert.match(result.version, /^\d+\.\d+\.\d+/);
  const { plan, check, refused } = result;
  assert.equal(plan.outcome, "planned", JSON.stringify(plan, null, 2));
  assert.equal(plan.dryRun, true);
  assert.ok(plan.plan.some((p) => p.method === "POST" && p.url.endsWith("/Users")));
  assert.equal(check.outcome, "succeeded", JSON.stringify(check, null, 2));
  assert.deepEqual(refused, { name: "AtlassianLcmError", code: "invalid_input", field: "worker.hrId" });

  // The browser's requests reached the emulator (CORS), and none was a write.
  const log = await emu.requests();
  assert.equal(log.length, plan.apiCalls + check.apiCalls);
  assert.ok(log.every((r) => r.method === "GET" || r.path.endsWith("/search")), JSON.stringify(log.map((r) => `${r.method} ${r.path}`)));
  assert.equal(await emu.user("mary.somerville@example.com"), undefined);
});

test("the README's browser snippet plans and runs a joiner", async () => {
  await emu.reset();
  const tab = await context.newPage();
  const errors = [];
  // A script error ends the wait at once rather than at the timeout.
  const failed = new Promise((resolve) => tab.on("pageerror", (e) => resolve(errors.push(String(e)))));
  await tab.goto(`http://127.0.0.1:${server.address().port}/readme.html`);
  const written = tab.waitForFunction(() => document.getElementById("report")?.textContent, null, { timeout: 30_000 });
  await Promise.race([written, failed]);
  assert.deepEqual(errors, []);
  await assertJoinerPlannedAndRun(assert, emu, JSON.parse(await tab.locator("#report").textContent()));
});
