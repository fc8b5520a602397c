// Integration tests drive real clusters: a start takes seconds, a Deployment rollout a few more.
// (Jest ignores `testTimeout` inside a project's config, so it is set here.)
jest.setTimeout(180_000);
