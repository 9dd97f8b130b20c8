/**
 * The importer's report in words: what it inferred, and — in one block —
 * everything the model does not model, the entries a trace can meet first.
 *
 * @module
 */
import type { Imported } from "./cluster.js";

/**
 * The report as text for a terminal.
 *
 * @param r An import.
 * @returns Lines: a summary, the inferences, the unmodelled block.
 * @example
 * ```ts
 * import { formatImportReport } from "./report.js";
 * declare const imported: import("./cluster.js").Imported;
 * console.error(formatImportReport(imported));
 * ```
 */
export function formatImportReport(r: Imported): string {
  const w = r.world;
  const lines = [
    `podnet import: ${w.nodes.length} node(s), ${w.namespaces.length} namespace(s), ${w.pods.length} pod(s), ${w.segments.length} underlay segment(s)`,
    "inferred:",
    ...r.report.inferred.map((s) => `  - ${s}`),
  ];
  const meets = r.report.unmodelled.filter((u) => u.meets);
  const listed = r.report.unmodelled.filter((u) => !u.meets);
  if (r.report.unmodelled.length === 0) {
    lines.push("unmodelled: nothing — every device, route and rule collected is in the model");
  } else {
    lines.push(
      `WARNING: ${r.report.unmodelled.length} thing(s) podnet does not model. A trace that meets one of the first ${meets.length} stops and names it; the rest no IPv4 path meets:`,
      ...meets.map((u) => `  ! ${u.namespace}: ${u.what} — ${u.text}`),
      ...listed.map((u) => `  - ${u.namespace}: ${u.what} — ${u.text}`),
    );
  }
  return lines.join("\n");
}
