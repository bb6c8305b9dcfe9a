// The built package's Node entry (wasm/pkg, from wasm/build.sh), as the tests use it.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
let loaded;
try {
  loaded = require("../../pkg/node/atlassian_lcm_wasm.js");
} catch (e) {
  throw new Error(`the package is not built (run wasm/build.sh): ${e.message}`);
}
export const { AtlassianLcm } = loaded;

/** Asserts `promise` rejects with an AtlassianLcmError of `code`; returns the error. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}
