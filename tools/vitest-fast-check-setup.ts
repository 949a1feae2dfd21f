import fc from "fast-check";

// In CI (CI=true, as .ci/run sets) every property runs from one fixed seed, so a landing's test
// run is reproducible; locally each run draws a fresh seed and keeps exploring (a failure prints
// its seed and path: rerun with FC_SEED=<seed> to reproduce).
const pinned = process.env.FC_SEED ?? (process.env.CI ? "20261122" : undefined);
if (pinned !== undefined) fc.configureGlobal({ seed: Number(pinned) });
