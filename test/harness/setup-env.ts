// Runs before every test file. Pepr registers Watch/Reconcile bindings only when PEPR_MODE is
// `build` or `dev`, so it must be set before any capability is imported.
process.env.PEPR_MODE ??= "build";
// Pepr logs every binding it registers at info level; tests read failures, not that.
process.env.LOG_LEVEL ??= "warn";
