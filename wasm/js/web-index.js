// atlassian-lcm for browsers, Deno, bundlers and workers that can fetch the
// .wasm beside this file: instantiates the module once (top-level await), then
// exports the class. Runtimes that must be handed the module themselves (e.g.
// Cloudflare Workers) import "atlassian-lcm/web" and call initSync({ module }).
import init, { AtlassianLcm } from "./atlassian_lcm_wasm.js";

await init({ module_or_path: new URL("./atlassian_lcm_wasm_bg.wasm", import.meta.url) });

export { AtlassianLcm };
