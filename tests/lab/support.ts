/**
 * What the lab tests share: whether the lab can run here (said once, in one
 * line, when it cannot), the root namespace's state to compare before and
 * after, several labs at once, and an assertion that prints the whole table
 * when a probe disagrees.
 *
 * @module
 */
import * as assert from "uvu/assert";
import { skipSuite } from "../support/skip.ts";
import { labUnavailable, namespacesWithPrefix, run } from "../../src/lab/linux.js";
import {
  disagreements,
  formatReport,
  type LabReport,
  runLab,
  type RunOptions,
} from "../../src/lab/runner.js";
import type { World } from "../../src/model/world.js";

let checked: Promise<string | undefined> | undefined;

/**
 * Why the lab tests cannot run here (not Linux, not root, a tool missing),
 * or `undefined` when they can. Each file that asks registers its skip
 * ({@linkcode skipSuite}), so the summary counts every skipped file.
 *
 * @param suite The file's tests, for the skip line.
 */
export async function skipReason(suite = "lab"): Promise<string | undefined> {
  checked ??= labUnavailable(["unshare", "nsenter", "sleep"]);
  const why = await checked;
  if (why) skipSuite(suite, why);
  return why;
}

/**
 * The root namespace as `ip` and `iptables` show it: links, addresses,
 * routes and the filter and nat rules (without counters).
 */
export async function rootState(): Promise<string> {
  const parts = await Promise.all([
    run(["ip", "-o", "link", "show"]),
    run(["ip", "-o", "addr", "show"]),
    run(["ip", "route", "show", "table", "all"]),
    run(["iptables", "-w", "-S"]),
    run(["iptables", "-w", "-t", "nat", "-S"]),
  ]);
  return parts.map((p) => p.stdout).join("\n");
}

/** The namespaces with a prefix that exist now. */
export const labNamespaces = namespacesWithPrefix;

/** Fails with the whole table when any probe disagrees. */
export function assertAgrees(report: LabReport, context = ""): void {
  const bad = disagreements(report);
  if (bad > 0) {
    assert.unreachable(`${context}${bad} check(s) disagree\n${formatReport(report)}`);
  }
  assert.ok(report.rows.length > 0, "the lab sent no probes");
}

/** How many labs the tests run at once (labs share nothing; most of a lab's time is waiting). */
export const LABS_AT_ONCE = 3;

/**
 * Runs a lab for each world, {@linkcode LABS_AT_ONCE} at a time, and fails
 * with every disagreeing world's table.
 *
 * @param worlds Names and worlds (and run options: the BGP topology a world was built with).
 * @returns The reports, in order.
 */
export async function assertAllAgree(
  worlds: readonly (readonly [string, World, RunOptions?])[],
): Promise<LabReport[]> {
  const reports: LabReport[] = new Array(worlds.length);
  let next = 0;
  const worker = async () => {
    while (next < worlds.length) {
      const i = next++;
      reports[i] = await runLab(worlds[i][1], worlds[i][2]);
    }
  };
  await Promise.all(Array.from({ length: LABS_AT_ONCE }, worker));
  const failures = reports.flatMap((r, i) =>
    disagreements(r) > 0 || r.rows.length === 0 ? [`${worlds[i][0]}:\n${formatReport(r)}`] : []
  );
  if (failures.length > 0) assert.unreachable(failures.join("\n\n"));
  return reports;
}

/** A number from the environment (a seed, a count), or the fallback. */
export function envNumber(name: string, fallback: number): number {
  try {
    const v = Deno.env.get(name);
    return v === undefined ? fallback : Number(v);
  } catch {
    return fallback;
  }
}
