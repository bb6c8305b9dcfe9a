// Compiles with lib ES2022 only: the package's types do not need the DOM (they
// bring the one newer library they use, esnext.disposable, for Symbol.dispose).
import { AtlassianLcm, type FetchFunction, type Report } from "atlassian-lcm";

const mockFetch: FetchFunction = async (url, init) => ({
  status: 200,
  headers: { forEach: (cb) => cb("application/json", "content-type") },
  arrayBuffer: async () => new ArrayBuffer(url.length + init.method.length),
});

export async function demo(): Promise<Report["outcome"]> {
  const lcm = new AtlassianLcm(
    { scimUrl: "https://api.atlassian.com/scim/directory/d", scimToken: "t", adminApiKey: "k", scimOrganizationId: "o" },
    { fetch: mockFetch },
  );
  const outcome = (await lcm.check()).outcome;
  lcm[Symbol.dispose]();
  return outcome;
}
