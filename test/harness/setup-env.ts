// Runs before every test file. Pepr registers Watch/Reconcile bindings only when PEPR_MODE is
// `build` or `dev`, so it must be set before any capability is imported.
process.env.PEPR_MODE ??= "build";
