// Prints jest's totals as one plain line that CI reads: "jest: N passed, N failed, N skipped".
// A test file that fails to run at all (a syntax error, a failed beforeAll import) counts as one
// failure, so a broken file can never pass as "0 failed".
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `\njest: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}
module.exports = SummaryReporter;
