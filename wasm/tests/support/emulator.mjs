// Starts the `atlassian-emulator` binary for one test file and talks to its
// control API. The binary is target/debug/atlassian-emulator (scripts/test-wasm
// builds it) unless LCM_EMULATOR_BIN names another.
import { spawn } from "node:child_process";
import { after, before, beforeEach } from "node:test";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export const emulatorBinary =
  process.env.LCM_EMULATOR_BIN ?? path.join(root, "target", "debug", "atlassian-emulator");

/** A running emulator: its ready line, a config for it, control calls, stop(). */
export async function startEmulator(args = []) {
  const child = spawn(emulatorBinary, ["--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const info = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`emulator not ready in 20 s: ${stderr}`)), 20_000);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${emulatorBinary}: ${e.message} (build it: cargo build -p atlassian-emulator)`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with ${code}: ${stderr}`));
    });
    lines.on("line", (line) => {
      try {
        const ready = JSON.parse(line);
        if (ready.ready) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(ready);
        }
      } catch {
        // not the ready line
      }
    });
  });

  const control = async (method, route, body) => {
    const res = await fetch(`${info.baseUrl}/__emulator/${route}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} /__emulator/${route}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text ? JSON.parse(text) : undefined;
  };

  return {
    info,
    /** The connector's config for this emulator. */
    config(extra = {}) {
      return {
        scimUrl: info.scimUrl,
        scimToken: info.scimToken,
        adminApiKey: info.adminApiKey,
        scimOrganizationId: info.orgId,
        adminBaseUrl: info.adminBaseUrl,
        apiBaseUrl: info.apiBaseUrl,
        allowCustomEndpoints: true,
        ...extra,
      };
    },
    state: () => control("GET", "state"),
    requests: () => control("GET", "requests"),
    clearRequests: () => control("DELETE", "requests"),
    faults: (plan) => control("PUT", "faults", plan),
    clearFaults: () => control("DELETE", "faults"),
    reset: () => control("POST", "reset"),
    /** The account with this e-mail in the emulator's state. */
    async user(email) {
      const state = await control("GET", "state");
      return state.users.find((u) => u.email.toLowerCase() === email.toLowerCase());
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * One emulator for the calling test file, started before its tests, reset to
 * its seed before each one and stopped after them all. Returns a stand-in
 * that forwards to the running emulator, so a file writes
 * `const emu = emulatorPerFile();` and uses `emu` as the emulator itself.
 */
export function emulatorPerFile() {
  let running;
  before(async () => {
    running = await startEmulator();
  });
  after(async () => {
    await running?.stop();
  });
  beforeEach(async () => {
    await running.reset();
  });
  return new Proxy(
    {},
    {
      get(_, name) {
        const value = running[name];
        return typeof value === "function" ? value.bind(running) : value;
      },
    },
  );
}
