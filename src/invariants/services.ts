/**
 * The Service rule: every pod reaches every Service through its ClusterIP,
 * on every endpoint kube-proxy's random rules can choose, and the reply
 * comes back to it from the ClusterIP. Services are read from the nodes'
 * `KUBE-SERVICES` rules, as `iptables-save` shows them; each branch is
 * traced with the tracer (request, DNAT, reply through conntrack).
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import { traceResolved } from "../trace/tracer.js";
import type { Drop, Trace } from "../trace/types.js";
import { podIp } from "../world/query.js";
import type { Pod, World } from "../model/world.js";

/** A Service port as the nodes' rules show it. */
export interface ServicePort {
  readonly clusterIp: Addr;
  readonly proto: "tcp" | "udp";
  readonly port: number;
  /** The `KUBE-SVC-…` chain it jumps to. */
  readonly chain: string;
}

/** A pod that does not get its answer from a Service on one branch. */
export interface ServiceCounterexample {
  readonly from: string;
  readonly service: ServicePort;
  /** The endpoint (`ADDR:PORT`) the branch DNATs to; `-` when the request was not DNATed. */
  readonly endpoint: string;
  /** Dropped (the request, or its reply: `reply-lost`), or delivered without any DNAT. */
  readonly problem: { readonly kind: "dropped"; readonly drop: Drop } | {
    readonly kind: "not-dnatted";
  };
  readonly trace: Trace;
}

/** The outcome of the Service rule over one world. */
export interface ServiceResult {
  readonly holds: boolean;
  /** Pods × Services × branches checked. */
  readonly checked: number;
  readonly counterexamples: readonly ServiceCounterexample[];
}

/**
 * The Service ports of a world: every `-d VIP/32 -p PROTO --dport N -j
 * KUBE-SVC-…` rule of a node's nat table, once each.
 *
 * @param world The world.
 * @returns The Service ports, in rule order.
 */
export function servicePorts(world: World): ServicePort[] {
  const seen = new Map<string, ServicePort>();
  for (const ns of world.namespaces.filter((n) => n.role === "node")) {
    for (const r of ns.netfilter.rules) {
      const m = r.match;
      const t = r.target;
      if (
        r.table !== "nat" || t.kind !== "JUMP" || !t.chain.startsWith("KUBE-SVC-") || !m.dst ||
        m.dst.negate || m.dst.prefix.bits !== 32 || (m.proto !== "tcp" && m.proto !== "udp") ||
        m.dport === undefined
      ) continue;
      const key = `${m.dst.prefix.addr}:${m.dport}/${m.proto}`;
      if (!seen.has(key)) {
        seen.set(key, {
          clusterIp: m.dst.prefix.addr,
          proto: m.proto,
          port: m.dport,
          chain: t.chain,
        });
      }
    }
  }
  return [...seen.values()];
}

function probeFrom(world: World, pod: Pod, s: ServicePort, branch?: Addr) {
  return traceResolved(world, {
    namespace: pod.namespace!,
    pod,
    dst: s.clusterIp,
    claimants: [],
    proto: s.proto,
    sport: 40000,
    dport: s.port,
    size: 84,
    df: true,
    ...(branch ? { branch: { kind: "endpoint" as const, addr: branch } } : {}),
  });
}

/**
 * Every pod reaches every Service through its ClusterIP, on every branch,
 * with the reply back from the ClusterIP: one counterexample per pod,
 * Service and endpoint that fails.
 *
 * @param world The world.
 * @returns The result.
 * @example
 * ```ts
 * import { serviceReachability } from "./services.js";
 * declare const world: import("../model/world.js").World;
 * serviceReachability(world).counterexamples.map((c) => `${c.from} → ${c.endpoint}`);
 * ```
 */
export function serviceReachability(world: World): ServiceResult {
  const services = servicePorts(world);
  const found: ServiceCounterexample[] = [];
  let checked = 0;
  for (const pod of world.pods) {
    if (!pod.namespace || !podIp(world, pod)) continue;
    for (const s of services) {
      const first = probeFrom(world, pod, s);
      const nat = first.hops.flatMap((h) => h.steps).find((x) =>
        x.kind === "nat" && x.hook === "PREROUTING"
      );
      const choices = nat?.kind === "nat" && nat.choices
        ? nat.choices.map((c) => c.to)
        : [nat?.kind === "nat" ? `${nat.after.dst}:${nat.after.dport}` : "-"];
      for (const to of choices) {
        checked++;
        const addr = Addr.parse(to.split(":")[0]);
        const t = choices.length > 1 && addr.ok ? probeFrom(world, pod, s, addr.value) : first;
        const v = t.verdict;
        if (v.kind === "dropped") {
          const problem = { kind: "dropped" as const, drop: v.drop };
          found.push({ from: pod.name, service: s, endpoint: to, problem, trace: t });
        } else if (!nat) {
          const problem = { kind: "not-dnatted" as const };
          found.push({ from: pod.name, service: s, endpoint: to, problem, trace: t });
        }
      }
    }
  }
  return { holds: found.length === 0, checked, counterexamples: found };
}
