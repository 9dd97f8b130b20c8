/**
 * podnet's simulation kernel: a typed model of Kubernetes pod networking
 * and a hop-by-hop packet tracer that behaves like Linux.
 *
 * The layers, bottom up; each imports only the ones before it
 * (docs/architecture.md has the table, tests/layers.test.ts enforces it):
 *
 * - `result.ts` — `Result`: the error channel for user input.
 * - `addr/` — IPv4 addresses, prefixes and MACs as immutable, interned values.
 * - `wire/` — byte-exact packet formats (Ethernet, IPv4, UDP, TCP, ICMP, VXLAN).
 * - `model/` — the world's types and the header-level packet, as read-only data.
 * - `syntax/` — the text a learner reads and writes: `ip route`, `ip neigh`,
 *   `bridge fdb`, iptables arguments.
 * - `world/` — queries on namespaces, devices, routing tables, neighbours,
 *   netfilter, nodes and pods; edits that return new worlds; naming rules.
 * - `forward/` — layer 2 (veth, bridges, segments) and netfilter decisions.
 * - `tunnel/` — VXLAN encapsulation at the header level.
 * - `trace/` — the tracer: a world and a probe in, a trace (hops, steps,
 *   verdict) out.
 * - `pods/` — pod lifecycle: create, restart, kill pause, delete.
 * - `scenario/` — the JSON scenario format, its loader and the builders.
 * - `invariants/` — the network model's rules, as counterexample finders.
 * - `verify/` — the scale verifier (its own entry, `verify/mod.ts`).
 * - `fuzz/` — broken worlds on purpose, for the lab and the tests.
 * - `render/` — words for traces in English and Korean, text and JSON forms,
 *   and the geometry of topology diagrams.
 * - this file — everything above but `verify/` and `fuzz/`.
 * - `lab/` — the real-Linux lab: export, build in namespaces, probe, compare.
 * - `notebook/` — running a reader's cell in the sandbox's worker.
 * - `cli/` — the command lines.
 *
 * @example
 * ```ts
 * import { buildWorld, trace, unwrap } from "./mod.js";
 * const world = unwrap(buildWorld({ mode: "host-gw" }), (e) => e.message);
 * const t = unwrap(trace(world, { from: "a", to: "c" }), (e) => e.message);
 * t.verdict.kind; // "delivered"
 * ```
 *
 * @module
 */
export * from "./addr/mod.js";
export { describeError, err, ok, type Result, unwrap } from "./result.js";
export * from "./syntax/mod.js";
export type * from "./model/world.js";
export * from "./world/query.js";
export {
  compareRoutes,
  connectedRoutes,
  isLocal,
  localDevice,
  resolveRoute,
} from "./world/routes.js";
export { lookupRoute, selectSource } from "./forward/fib.js";
export * from "./forward/rules.js";
export * from "./world/edit.js";
export { sameData, sharingUnchanged } from "./world/share.js";
export type * from "./trace/types.js";
export {
  formatProbeError,
  type Probe,
  type ProbeError,
  type ResolvedProbe,
  resolveProbe,
} from "./trace/probe.js";
export { STEP_BUDGET, trace, traceResolved } from "./trace/tracer.js";
export { decapsulate, encapsulate, VXLAN_OVERHEAD } from "./tunnel/vxlan.js";
export * from "./pods/lifecycle.js";
export type * from "./scenario/schema.js";
export { loadScenario, parseScenario } from "./scenario/load.js";
export { formatLoadError, type LoadError } from "./scenario/reader.js";
export { CLUSTER_LIMITS, LOAD_LIMITS, type LoadLimits } from "./scenario/screen.js";
export { toScenario } from "./scenario/save.js";
export {
  type BuildError,
  buildScenario,
  buildWorld,
  type ClusterSpec,
  type Mode,
  MODES,
} from "./scenario/build.js";
export * from "./invariants/invariants.js";
export * from "./invariants/services.js";
export * from "./render/describe.js";
export * from "./render/text.js";
export * from "./render/layout.js";
export { packetBytes } from "./render/frames.js";
export { describePodEvent } from "./render/events.js";
export { type Ending, ending, josa, ko, type Particle } from "./render/josa.js";
export { dropCommand, stepCommand } from "./render/commands.js";
export {
  ETHERNET_HEADER_LEN,
  hexdump,
  type HexdumpRow,
  IPIP_OVERHEAD,
  IPV4_HEADER_LEN,
  UDP_HEADER_LEN,
  VXLAN_HEADER_LEN,
} from "./wire/mod.js";
