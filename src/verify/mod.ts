/**
 * Verification at Kubernetes scale: NAT-free all-pairs pod reachability
 * proved or refuted with equivalence classes of sources and destinations
 * instead of one trace per pair, and re-checked incrementally after an
 * edit. See docs/verifier.md for the design.
 *
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { verifyWorld } from "./mod.js";
 * const world = unwrap(buildWorld({ mode: "nat", nodes: 2 }), (e) => e.message);
 * verifyWorld(world).failing; // 8
 * ```
 *
 * @module
 */
export * from "./fabric.js";
export { Atoms } from "./atoms.js";
export { type Outcome, PROBE_SIZE } from "./evaluate.js";
export {
  type Classes,
  type FailureSet,
  type NodeMatrix,
  type NodePairView,
  type Problem,
  type SourceSet,
  type Summary,
  type Verification,
  Verifier,
} from "./verifier.js";
export * from "./incremental.js";
export * from "./cells.js";
export * from "./steps.js";
export * from "./measure.js";
