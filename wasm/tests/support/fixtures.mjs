// Events and calls the tests share, on the emulator's demo org
// (emulator/src/seed.rs: ada.lovelace E1001, grace.hopper E1002, ...).
export function joiner(overrides = {}) {
  return {
    schemaVersion: "1",
    eventId: "hr-2026-000123",
    lifecycle: "joiner",
    occurredAt: "2026-11-30T09:00:00Z",
    worker: {
      hrId: "E1042",
      workEmail: "mary.somerville@example.com",
      givenName: "Mary",
      familyName: "Somerville",
      displayName: "Mary Somerville",
      title: "Engineer",
      department: "Platform",
      organization: "Example",
      timezone: "Europe/London",
      preferredLanguage: "en-GB",
    },
    access: { groups: ["jira-software-users", "engineering"], mode: "add" },
    ...overrides,
  };
}

export function mover(overrides = {}) {
  return {
    schemaVersion: "1",
    eventId: "hr-2026-000124",
    lifecycle: "mover",
    worker: {
      hrId: "E1002",
      workEmail: "grace.hopper@example.com",
      title: "Rear Admiral",
      department: "Compilers",
    },
    access: { groups: ["platform-team", "confluence-users"], mode: "add" },
    ...overrides,
  };
}

export function leaver(overrides = {}) {
  return {
    schemaVersion: "1",
    eventId: "hr-2026-000125",
    lifecycle: "leaver",
    worker: { hrId: "E1001", workEmail: "ada.lovelace@example.com" },
    ...overrides,
  };
}
