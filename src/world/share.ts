/**
 * Structural sharing between worlds. Edits share every part of a world
 * they do not change, so code that compares worlds (the verifier's
 * incremental re-check) can find what changed by identity. A world that
 * went through JSON — a notebook cell's result comes back from its worker
 * as a scenario document — has new objects everywhere; this module gives
 * its unchanged parts back their old identity.
 *
 * @module
 */
import type { Namespace, World } from "../model/world.js";

/** JSON with object keys in order, so equal values built in different ways compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}

/**
 * Whether two parts of worlds hold the same data: the same object, or equal
 * when written as JSON with sorted keys (addresses write themselves as text).
 *
 * @param a One value.
 * @param b The other.
 * @returns True when they are equal.
 */
export function sameData(a: unknown, b: unknown): boolean {
  return a === b || canonical(a) === canonical(b);
}

/** A namespace with the same data as `ns`, sharing `was` or, if it changed, its equal devices and routes. */
function shareNamespace(was: Namespace, ns: Namespace): Namespace {
  if (sameData(was, ns)) return was;
  if (was.name !== ns.name) return ns;
  const each = <T>(old: readonly T[], now: readonly T[]) =>
    now.map((x, k) => (k < old.length && sameData(old[k], x) ? old[k] : x));
  return { ...ns, devices: each(was.devices, ns.devices), routes: each(was.routes, ns.routes) };
}

/**
 * `next`, with every namespace, and the pod, node and segment lists, that
 * hold the same data as in `before` replaced by `before`'s own object; in a
 * namespace that changed, its unchanged devices and routes are shared.
 *
 * @param before The world already known (e.g. the one a verifier holds).
 * @param next A world equal to an edit of `before`, with objects of its own.
 * @returns A world with the same data as `next`; `next` itself when nothing could be shared.
 * @example
 * ```ts
 * import { buildWorld, loadScenario, setIpForward, toScenario, unwrap } from "../mod.js";
 * import { sharingUnchanged } from "./share.js";
 * const world = unwrap(buildWorld({ mode: "host-gw", nodes: 3 }), (e) => e.message);
 * const edited = unwrap(setIpForward(world, "node-2", false), (e) => e.message);
 * const copy = unwrap(loadScenario(JSON.parse(JSON.stringify(toScenario(edited)))), String);
 * const shared = sharingUnchanged(world, copy);
 * shared.namespaces.filter((ns, i) => ns !== world.namespaces[i]).map((ns) => ns.name); // ["node-2"]
 * ```
 */
export function sharingUnchanged(before: World, next: World): World {
  const pick = <T>(a: T, b: T) => (sameData(a, b) ? a : b);
  const namespaces = before.namespaces.length === next.namespaces.length
    ? next.namespaces.map((ns, i) => shareNamespace(before.namespaces[i], ns))
    : next.namespaces;
  const shared: World = {
    ...next,
    pods: pick(before.pods, next.pods),
    nodes: pick(before.nodes, next.nodes),
    segments: pick(before.segments, next.segments),
    namespaces: namespaces.every((ns, i) => ns === next.namespaces[i])
      ? next.namespaces
      : namespaces,
  };
  const untouched = shared.pods === next.pods && shared.nodes === next.nodes &&
    shared.segments === next.segments && shared.namespaces === next.namespaces;
  return untouched ? next : shared;
}
