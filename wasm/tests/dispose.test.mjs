// Symbol.dispose on the Node build: it frees the instance as free() does (so
// `using` releases the WebAssembly memory at the end of a scope), and leaves
// other instances alone.
import { test } from "node:test";
import assert from "node:assert/strict";

import { AtlassianLcm } from "./support/lcm.mjs";

const config = {
  scimUrl: "https://api.atlassian.com/scim/directory/d",
  scimToken: "t",
  adminApiKey: "k",
  scimOrganizationId: "o",
};

test("Symbol.dispose frees the instance like free()", () => {
  assert.equal(typeof Symbol.dispose, "symbol", "this Node defines Symbol.dispose");
  const disposed = new AtlassianLcm(config);
  const freed = new AtlassianLcm(config);
  const kept = new AtlassianLcm(config);
  assert.equal(typeof disposed[Symbol.dispose], "function");
  assert.equal(disposed.capabilities().version, AtlassianLcm.version);

  disposed[Symbol.dispose]();
  freed.free();
  const error = (lcm) => {
    try {
      lcm.capabilities();
    } catch (e) {
      return e.message;
    }
    return "no error";
  };
  assert.notEqual(error(disposed), "no error");
  assert.equal(error(disposed), error(freed), "disposed and freed instances fail alike");
  assert.equal(kept.capabilities().version, AtlassianLcm.version);
  kept[Symbol.dispose]();
});
