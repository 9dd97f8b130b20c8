/**
 * Failing pod pairs as comparable maps ("a>b" → problem): what the
 * pair-by-pair reference `natFreeReachability` finds and what the scale
 * verifier finds, for the differential tests.
 *
 * @module
 */
import { natFreeReachability, type World } from "../../src/mod.js";
import type { Problem, Verifier } from "../../src/verify/mod.js";

/** Failing pairs: "from>to" → the problem as text. */
export type PairMap = Map<string, string>;

/** A problem as text. */
export function problemText(p: Problem): string {
  return p.kind === "dropped"
    ? `dropped ${p.reason}`
    : p.kind === "source-rewritten"
    ? `source ${p.seen}`
    : "nat";
}

/** The pair-by-pair reference's failing pairs. */
export function reference(world: World): PairMap {
  const out: PairMap = new Map();
  for (const c of natFreeReachability(world).counterexamples) {
    if (c.invariant !== "nat-free-reachability") continue;
    const p = c.problem;
    out.set(
      `${c.from}>${c.to}`,
      p.kind === "dropped"
        ? `dropped ${p.drop.reason}`
        : p.kind === "source-rewritten"
        ? `source ${p.seen}`
        : "nat",
    );
  }
  return out;
}

/** The verifier's failing pairs (checking that no pair is in two sets). */
export function verified(v: Verifier): PairMap {
  const out: PairMap = new Map();
  const pods = v.fabric.pods;
  const r = v.result();
  let counted = 0;
  for (const [p, q, problem] of v.failingPairs(r)) {
    const k = `${pods.name(p)}>${pods.name(q)}`;
    if (out.has(k)) throw new Error(`Pair ${k} is in two failure sets`);
    out.set(k, problemText(problem));
    counted++;
  }
  if (counted !== r.failing) {
    throw new Error(`Sets hold ${counted} pairs, the count says ${r.failing}`);
  }
  return out;
}

/** The differences between two pair maps, for messages (empty when equal). */
export function differences(expected: PairMap, actual: PairMap): string[] {
  const out: string[] = [];
  for (const [k, v] of expected) {
    if (actual.get(k) !== v) {
      out.push(`${k}: reference "${v}", verifier "${actual.get(k) ?? "ok"}"`);
    }
  }
  for (const [k, v] of actual) {
    if (!expected.has(k)) out.push(`${k}: reference "ok", verifier "${v}"`);
  }
  return out;
}
