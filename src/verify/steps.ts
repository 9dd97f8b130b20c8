/**
 * Re-checking a world that differs from the verified one in several
 * namespaces, one namespace at a time, so that each step stays incremental.
 * A lesson page needs this: when a reader moves a breakage from one node to
 * another, two nodes change at once (one is repaired, one is broken), and
 * `recheckWorld` alone would verify the whole cluster again.
 *
 * @module
 */
import type { Namespace, World } from "../model/world.js";
import type { Summary } from "./verifier.js";
import { type Recheck, recheckWorld } from "./incremental.js";
import type { Verifier } from "./verifier.js";

/** A re-check made of one or more steps. */
export interface Rechecks {
  /** The numbers after the last step. */
  readonly summary: Summary;
  /** Wall time of all steps together, in milliseconds. */
  readonly millis: number;
  /** True when every step was incremental (and there was at least one). */
  readonly incremental: boolean;
  /** The namespaces that changed, in world order (empty: nothing to re-check). */
  readonly changed: readonly string[];
  /** One re-check per step. */
  readonly steps: readonly Recheck[];
}

/**
 * Brings a verifier from the world it last verified to `world`, one changed
 * namespace at a time (each step is `recheckWorld` on a world that differs
 * from the previous one in one namespace). Worlds whose pods, nodes,
 * segments or namespace list differ are verified again in one full step.
 * The result equals a full verification of `world`; only the cost differs.
 *
 * @param verifier A verifier made from `fabricFromWorld` (changed in place).
 * @param world The world to verify now.
 * @returns The steps and the final numbers.
 * @example
 * ```ts
 * import { buildWorld, setIpForward, unwrap } from "../mod.js";
 * import { fabricFromWorld, recheckSteps, Verifier } from "./mod.js";
 * const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3 }), (e) => e.message);
 * const v = new Verifier(fabricFromWorld(world));
 * const off2 = unwrap(setIpForward(world, "node-2", false), (e) => e.message);
 * recheckSteps(v, off2);
 * const off3 = unwrap(setIpForward(world, "node-3", false), (e) => e.message);
 * const r = recheckSteps(v, off3); // node-2 repaired, node-3 broken: two steps
 * r.changed; // ["node-2", "node-3"]
 * r.incremental; // true
 * ```
 */
export function recheckSteps(verifier: Verifier, world: World): Rechecks {
  const start = performance.now();
  const before = verifier.fabric.world;
  const steps: Recheck[] = [];
  const changed: string[] = [];
  if (
    before === undefined || before.pods !== world.pods || before.nodes !== world.nodes ||
    before.segments !== world.segments || before.namespaces.length !== world.namespaces.length
  ) {
    steps.push(recheckWorld(verifier, world));
    return done(verifier, start, steps, world.namespaces.map((ns) => ns.name));
  }
  const differ: number[] = [];
  for (let i = 0; i < world.namespaces.length; i++) {
    if (before.namespaces[i] !== world.namespaces[i]) differ.push(i);
  }
  if (differ.length === 0) return done(verifier, start, steps, changed);
  // Namespaces swapped or renamed: one full step.
  if (differ.some((i) => before.namespaces[i].name !== world.namespaces[i].name)) {
    steps.push(recheckWorld(verifier, world));
    return done(verifier, start, steps, differ.map((i) => world.namespaces[i].name));
  }
  const namespaces: Namespace[] = [...before.namespaces];
  differ.forEach((i, k) => {
    namespaces[i] = world.namespaces[i];
    // The last step is `world` itself, so the verifier keeps the caller's world.
    const next = k === differ.length - 1 ? world : { ...world, namespaces: [...namespaces] };
    steps.push(recheckWorld(verifier, next));
    changed.push(world.namespaces[i].name);
  });
  return done(verifier, start, steps, changed);
}

function done(
  verifier: Verifier,
  start: number,
  steps: Recheck[],
  changed: string[],
): Rechecks {
  return {
    summary: verifier.summary(),
    millis: performance.now() - start,
    incremental: steps.length > 0 && steps.every((s) => s.incremental),
    changed,
    steps,
  };
}
