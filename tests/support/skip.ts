/**
 * The one way a test file skips: a marker line that `tests/run.ts` counts
 * (and, with CI=1, fails on), plus an uvu skipped test so uvu's own count
 * agrees. A skip always says why.
 *
 * @module
 */
import { test } from "uvu";

/** Starts every skip line; `tests/run.ts` counts the lines. */
export const SKIP_MARK = "podnet-test-skipped:";

/**
 * Skips a file's tests and says why, once, in a line the summary counts.
 *
 * @param suite What is skipped (`lab`, `browser: share links`).
 * @param reason Why (a missing tool, not root).
 */
export function skipSuite(suite: string, reason: string): void {
  console.log(`${SKIP_MARK} ${suite}: ${reason}`);
  test.skip(`${suite}: skipped (${reason})`, () => {});
}
