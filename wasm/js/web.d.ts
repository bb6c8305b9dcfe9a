// Types of "atlassian-lcm/web": the browser build without automatic
// initialization, for runtimes that hand the WebAssembly module over
// themselves. Call `initSync({ module })` or `await init()` once, then use
// `AtlassianLcm` as from "atlassian-lcm".
export * from "./index.js";

/** A compiled module, its bytes, or where to fetch them. */
export type InitInput = WebAssembly.Module | BufferSource | Response | URL | string | Request;

/** Instantiates the module from a compiled module or its bytes. */
export function initSync(input: { module: WebAssembly.Module | BufferSource }): void;

/** Instantiates the module (default: fetches the .wasm beside the glue). */
export default function init(input?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<void>;
