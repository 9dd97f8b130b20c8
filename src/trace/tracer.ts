/**
 * The tracer: follows one packet through a world the way Linux would, and
 * returns every hop, every decision and a verdict. It is pure (the world is
 * not changed), deterministic, and bounded: TTL ends routing loops and a
 * step budget ends layer-2 loops.
 *
 * The order of checks follows the kernel's receive and forward paths:
 * `ip_rcv` (martians, nat PREROUTING) → FIB lookup (local table first) →
 * `ip_forward` sysctl → `ip_forward()` (TTL ≤ 1, MTU with DF, TTL − 1,
 * filter FORWARD) → nat POSTROUTING → neighbour → device.
 *
 * The work is split by layer: `run.ts` (the run's hops and state), `ip.ts`,
 * `link.ts`, `tunnels.ts` and `answers.ts`; this file joins them into the
 * {@linkcode Stack} a run calls through.
 *
 * @module
 */
import { err, ok, type Result } from "../result.js";
import type { World } from "../model/world.js";
import { type Probe, type ProbeError, type ResolvedProbe, resolveProbe } from "./probe.js";
import type { Trace } from "./types.js";
import { Run, type Stack } from "./run.js";
import { ipReceive, localOutput, routeStep, send } from "./ip.js";
import { l2In, l2Out } from "./link.js";
import { ipipReceive, ipipXmit, tunnelReach, vxlanReceive, vxlanXmit } from "./tunnels.js";

export { STEP_BUDGET } from "./run.js";

/** The layers' entry points, joined once for every run. */
const STACK: Stack = {
  send,
  ipReceive,
  routeStep,
  localOutput,
  l2In,
  l2Out,
  vxlanXmit,
  vxlanReceive,
  ipipXmit,
  ipipReceive,
  tunnelReach,
};

/**
 * Traces a probe through a world.
 *
 * @param world The world (unchanged).
 * @param probe Sender, receiver and packet.
 * @returns The trace, or what is wrong with the probe.
 * @example
 * ```ts
 * import { trace } from "./tracer.js";
 * declare const world: import("../model/world.js").World;
 * const t = trace(world, { from: "a", to: "c" });
 * if (t.ok) console.log(t.value.verdict.kind, t.value.hops.length);
 * ```
 */
export function trace(world: World, probe: Probe): Result<Trace, ProbeError> {
  const resolved = resolveProbe(world, probe);
  if (!resolved.ok) return err(resolved.error);
  return ok(traceResolved(world, resolved.value));
}

/**
 * Traces a probe already checked by `resolveProbe` (the fast path the
 * invariants use).
 *
 * @param world The world.
 * @param probe The resolved probe.
 * @returns The trace.
 */
export function traceResolved(world: World, probe: ResolvedProbe): Trace {
  return new Run(world, probe, 0, { kind: "probe" }, STACK).start();
}
