/**
 * The shape every trace must have (Batfish checks hop sequences the same
 * way): hops linked by the link they crossed, one terminal step at the very
 * end, TTL going down one at a time, and a verdict where the trace ended.
 *
 * @module
 */
import type { Step, Trace } from "./types.js";

/**
 * Lists what is wrong with a trace's shape.
 *
 * @param trace A trace.
 * @returns Problems in words; empty for a well-formed trace.
 * @example
 * ```ts
 * import { traceShapeProblems } from "./shape.js";
 * declare const t: import("./types.js").Trace;
 * traceShapeProblems(t); // []
 * ```
 */
export function traceShapeProblems(trace: Trace): string[] {
  const problems: string[] = [];
  const hops = trace.hops;
  if (hops.length === 0) return ["A trace has at least one hop"];
  if (hops[0].at.name !== trace.probe.from.namespace) {
    problems.push("The first hop is not the sender's namespace");
  }
  hops.forEach((hop, i) => {
    if (hop.steps.length === 0) problems.push(`Hop ${i + 1} has no steps`);
    const terminal = hop.steps.findIndex(isTerminal);
    const last = i === hops.length - 1;
    if (terminal >= 0 && (!last || terminal !== hop.steps.length - 1)) {
      problems.push(`Hop ${i + 1} has a terminal step before the end of the trace`);
    }
    if (last && terminal < 0) problems.push("The last hop does not end in delivery or a drop");
    if (!last) {
      const next = hops[i + 1].at;
      const link = linkTarget(hop.steps[hop.steps.length - 1]);
      if (link !== (link === SEGMENT ? next.kind : next.name)) {
        problems.push(
          `Hop ${i + 1} (${hop.at.name}) does not end on a link to hop ${i + 2} (${
            hops[i + 1].at.name
          })`,
        );
      }
    }
    for (const s of hop.steps) {
      if (s.kind === "ttl" && s.after !== s.before - 1) {
        problems.push(`Hop ${i + 1}: TTL ${s.before} → ${s.after}`);
      }
    }
  });
  const end = hops[hops.length - 1].steps.at(-1);
  const v = trace.verdict;
  if (end && v.kind === "delivered" && end.kind !== "deliver") {
    problems.push("Delivered, but the last step is not a delivery");
  }
  if (end && v.kind === "dropped" && v.drop.reason !== "loop" && end.kind !== "drop") {
    problems.push("Dropped, but the last step is not a drop");
  }
  if (v.namespace !== hops[hops.length - 1].at.name) {
    problems.push("The verdict names another place than the last hop");
  }
  return problems;
}

function isTerminal(s: Step): boolean {
  return s.kind === "deliver" || s.kind === "drop";
}

const SEGMENT = "segment";

/** Where a hop's last step leads: a namespace, or onto an underlay segment. */
function linkTarget(s: Step | undefined): string | undefined {
  if (s === undefined) return undefined;
  if (s.kind === "veth" || s.kind === "segment") return s.to.namespace;
  if (s.kind === "xmit") return SEGMENT;
  return undefined;
}
