/**
 * Small helpers for tests that load example scenarios and edit worlds.
 *
 * @module
 */
import { parseScenario } from "../../src/scenario/load.js";
import { formatLoadError } from "../../src/scenario/reader.js";
import type { Result } from "../../src/result.js";
import { trace } from "../../src/trace/tracer.js";
import type { Probe } from "../../src/trace/probe.js";
import type { Trace } from "../../src/trace/types.js";
import { namespaceNamed, podNamed } from "../../src/world/query.js";
import type { DeviceRef, World } from "../../src/model/world.js";

/** Loads lessons/scenarios/<name>.json. */
export function example(name: string): World {
  const text = Deno.readTextFileSync(
    new URL(`../../lessons/scenarios/${name}.json`, import.meta.url),
  );
  const w = parseScenario(text);
  if (!w.ok) throw new Error(w.error.map(formatLoadError).join("; "));
  return w.value;
}

/** Unwraps an edit's result, failing the test with its error. */
export function must<T, E>(r: Result<T, E>): T {
  if (!r.ok) throw new Error(`Unexpected error: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** Traces a probe that the test knows to be valid. */
export function traced(world: World, probe: Probe): Trace {
  return must(trace(world, probe));
}

/** The node-side end of a pod's veth pair. */
export function hostVeth(world: World, pod: string): DeviceRef {
  const ns = namespaceNamed(world, podNamed(world, pod)!.namespace!)!;
  const eth0 = ns.devices.find((d) => d.name === "eth0");
  if (eth0?.kind !== "veth") throw new Error(`Pod ${pod} has no veth eth0`);
  return eth0.peer;
}

/** Freezes a value and everything reachable from it. */
export function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  for (const v of Object.values(value)) deepFreeze(v, seen);
  return Object.freeze(value);
}
