/**
 * Arbitraries for clusters: one per purpose, built with `.map` so failing
 * cases shrink to small clusters.
 *
 * @module
 */
import type fc from "fast-check";
import { clusterSpecs as fuzzSpecs } from "../../src/fuzz/mutate.js";
import { buildWorld, type ClusterSpec, type Mode } from "../../src/scenario/build.js";
import type { World } from "../../src/model/world.js";

/** Modes in which the network model's rules should all hold. */
export const SOUND_MODES: readonly Mode[] = ["single-host", "gateway", "host-gw", "vxlan"];

export { disjointCidrs } from "../../src/fuzz/mutate.js";

/** A cluster spec: a mode, 1–8 nodes (1 for single-host), 1–12 pods per node, disjoint CIDRs. */
export function clusterSpecs(
  modes: readonly Mode[] = SOUND_MODES,
  maxNodes = 8,
  maxPods = 12,
): fc.Arbitrary<ClusterSpec> {
  return fuzzSpecs(modes, maxNodes, maxPods);
}

/** Builds a spec that the arbitraries made valid. */
export function worldOf(spec: ClusterSpec): World {
  const w = buildWorld(spec);
  if (!w.ok) throw new Error(`Generated an invalid cluster spec: ${w.error.message}`);
  return w.value;
}

/** A world with its spec, for properties that need both. */
export function clusters(modes: readonly Mode[] = SOUND_MODES, maxNodes = 8, maxPods = 12) {
  return clusterSpecs(modes, maxNodes, maxPods).map((spec) => ({ spec, world: worldOf(spec) }));
}
