/**
 * Arbitraries for clusters: one per purpose, built with `.map` so failing
 * cases shrink to small clusters.
 *
 * @module
 */
import fc from "fast-check";
import { Addr, Prefix } from "../../src/addr/mod.js";
import { buildWorld, type ClusterSpec, type Mode } from "../../src/scenario/build.js";
import type { World } from "../../src/world/types.js";

/** Modes in which the network model's rules should all hold. */
export const SOUND_MODES: readonly Mode[] = ["single-host", "gateway", "host-gw", "vxlan"];

/**
 * Disjoint pod CIDRs for `n` nodes: blocks of one random size (/22 to /26)
 * at distinct random positions inside a random 10.X.0.0/16.
 */
export function disjointCidrs(n: number): fc.Arbitrary<string[]> {
  return fc.record({
    second: fc.integer({ min: 0, max: 255 }),
    bits: fc.integer({ min: 22, max: 26 }),
  }).chain(({ second, bits }) =>
    fc.uniqueArray(fc.integer({ min: 0, max: 2 ** (bits - 16) - 1 }), {
      minLength: n,
      maxLength: n,
    })
      .map((blocks) =>
        blocks.map((b) =>
          Prefix.of(Addr.fromUint32(((10 << 24) | (second << 16)) + b * 2 ** (32 - bits)), bits)
            .toString()
        )
      )
  );
}

/** A cluster spec: a mode, 1–8 nodes (1 for single-host), 1–12 pods per node, disjoint CIDRs. */
export function clusterSpecs(modes: readonly Mode[] = SOUND_MODES, maxNodes = 8, maxPods = 12) {
  return fc.constantFrom(...modes).chain((mode) => {
    const nodes = mode === "single-host" ? fc.constant(1) : fc.integer({ min: 1, max: maxNodes });
    return nodes.chain((n) =>
      fc.record({
        pods: fc.array(fc.integer({ min: 1, max: maxPods }), { minLength: n, maxLength: n }),
        podCidrs: disjointCidrs(n),
      }).map(({ pods, podCidrs }): ClusterSpec => ({ mode, nodes: n, pods, podCidrs }))
    );
  });
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
