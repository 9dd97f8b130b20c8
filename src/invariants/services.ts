/**
 * The Service rules: every pod reaches every Service through its ClusterIP,
 * on every endpoint kube-proxy's random rules can choose, and the reply
 * comes back to it from the ClusterIP; every external client reaches every
 * NodePort on every node's underlay address the same way. Services are read from the nodes'
 * `KUBE-SERVICES` rules, as `iptables-save` shows them; each branch is
 * traced with the tracer (request, DNAT, reply through conntrack).
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import { traceResolved } from "../trace/tracer.js";
import type { Drop, Trace } from "../trace/types.js";
import { podIp } from "../world/query.js";
import type { Namespace, Pod, World } from "../model/world.js";

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
  readonly problem: ServiceProblem;
  readonly trace: Trace;
}

/** Why a Service branch fails: dropped (the request, or its reply: `reply-lost`), or never DNATed. */
export type ServiceProblem = { readonly kind: "dropped"; readonly drop: Drop } | {
  readonly kind: "not-dnatted";
};

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

/** Who sends a Service probe: a pod, or a namespace with no pod (an external client). */
interface Sender {
  readonly namespace: string;
  readonly pod?: Pod;
}

function probeFrom(world: World, from: Sender, dst: Addr, s: ServiceLike, branch?: Addr) {
  return traceResolved(world, {
    namespace: from.namespace,
    ...(from.pod ? { pod: from.pod } : {}),
    dst,
    claimants: [],
    proto: s.proto,
    sport: 40000,
    dport: s.port,
    size: 84,
    df: true,
    ...(branch ? { branch: { kind: "endpoint" as const, addr: branch } } : {}),
  });
}

type ServiceLike = { readonly proto: "tcp" | "udp"; readonly port: number };

/** A branch of a Service probe: the endpoint it DNATs to (`-` for none), and its trace. */
interface Branch {
  readonly endpoint: string;
  readonly dnatted: boolean;
  readonly trace: Trace;
}

/**
 * Every branch kube-proxy's random rules can take for one probe: the first
 * trace shows the choices at the DNAT; each other endpoint is traced with
 * the probe pinned to it.
 */
function everyBranch(world: World, from: Sender, dst: Addr, s: ServiceLike): Branch[] {
  const first = probeFrom(world, from, dst, s);
  const nat = first.hops.flatMap((h) => h.steps).find((x) =>
    x.kind === "nat" && x.hook === "PREROUTING" && x.before.dst !== x.after.dst
  );
  if (nat?.kind !== "nat") return [{ endpoint: "-", dnatted: false, trace: first }];
  const choices = nat.choices?.map((c) => c.to) ?? [`${nat.after.dst}:${nat.after.dport}`];
  return choices.map((to) => {
    const addr = Addr.parse(to.split(":")[0]);
    const trace = choices.length > 1 && addr.ok
      ? probeFrom(world, from, dst, s, addr.value)
      : first;
    return { endpoint: to, dnatted: true, trace };
  });
}

/** Why a branch fails: dropped (the request, or its reply: `reply-lost`), or never DNATed. */
function problemOf(b: Branch): ServiceProblem | undefined {
  const v = b.trace.verdict;
  if (v.kind === "dropped") return { kind: "dropped", drop: v.drop };
  if (!b.dnatted) return { kind: "not-dnatted" };
  return undefined;
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
      for (const b of everyBranch(world, { namespace: pod.namespace, pod }, s.clusterIp, s)) {
        checked++;
        const problem = problemOf(b);
        if (problem) {
          found.push({ from: pod.name, service: s, endpoint: b.endpoint, problem, trace: b.trace });
        }
      }
    }
  }
  return { holds: found.length === 0, checked, counterexamples: found };
}

/** A NodePort as the nodes' rules show it: `KUBE-NODEPORTS -p PROTO --dport N -j KUBE-EXT-…`. */
export interface NodePort {
  readonly proto: "tcp" | "udp";
  readonly port: number;
  /** The chain it jumps to (`KUBE-EXT-…`). */
  readonly chain: string;
}

/** An external client that does not get its answer from a NodePort on one node and branch. */
export interface NodePortCounterexample {
  /** The client's namespace. */
  readonly from: string;
  /** The node whose address the client connected to. */
  readonly node: string;
  readonly addr: Addr;
  readonly nodePort: NodePort;
  /** The endpoint (`ADDR:PORT`) the branch DNATs to; `-` when the request was not DNATed. */
  readonly endpoint: string;
  readonly problem: ServiceProblem;
  readonly trace: Trace;
}

/** The outcome of the NodePort rule over one world. */
export interface NodePortResult {
  readonly holds: boolean;
  /** Clients × node addresses × NodePorts × branches checked. */
  readonly checked: number;
  readonly counterexamples: readonly NodePortCounterexample[];
  /**
   * Nodes that drop a NodePort by policy, not checked: with
   * `externalTrafficPolicy: Local` and no endpoint of their own, kube-proxy
   * drops its traffic there (a `has no local endpoints` DROP in
   * `KUBE-EXTERNAL-SERVICES`), and the load balancer is meant to avoid them.
   */
  readonly dropsByPolicy: readonly { readonly node: string; readonly nodePort: NodePort }[];
}

/** Whether a node drops a NodePort by policy: kube-proxy's `has no local endpoints` DROP. */
function dropsByPolicy(ns: Namespace, np: NodePort): boolean {
  return ns.netfilter.rules.some((r) =>
    r.table === "filter" && r.chain === "KUBE-EXTERNAL-SERVICES" && r.target.kind === "DROP" &&
    r.match.proto === np.proto && r.match.dport === np.port
  );
}

/**
 * The NodePorts of a world: every rule of a node's `KUBE-NODEPORTS` chain
 * that matches a protocol and a destination port, once each.
 *
 * @param world The world.
 * @returns The NodePorts, in rule order.
 */
export function nodePorts(world: World): NodePort[] {
  const seen = new Map<string, NodePort>();
  for (const ns of world.namespaces.filter((n) => n.role === "node")) {
    for (const r of ns.netfilter.rules) {
      const m = r.match;
      if (
        r.table !== "nat" || r.chain !== "KUBE-NODEPORTS" || r.target.kind !== "JUMP" ||
        (m.proto !== "tcp" && m.proto !== "udp") || m.dport === undefined
      ) continue;
      const key = `${m.dport}/${m.proto}`;
      if (!seen.has(key)) seen.set(key, { proto: m.proto, port: m.dport, chain: r.target.chain });
    }
  }
  return [...seen.values()];
}

/**
 * Every external client (a namespace with role `client`) reaches every
 * NodePort on every node's underlay addresses, on every branch, with the
 * reply back from the address it connected to: one counterexample per
 * client, node address, NodePort and endpoint that fails. A node that
 * drops a NodePort by policy (`externalTrafficPolicy: Local`, no endpoint
 * of its own) is listed, not checked.
 *
 * @param world The world.
 * @returns The result.
 * @example
 * ```ts
 * import { nodePortReachability } from "./services.js";
 * declare const world: import("../model/world.js").World;
 * nodePortReachability(world).counterexamples.map((c) => `${c.addr}:${c.nodePort.port} → ${c.endpoint}`);
 * ```
 */
export function nodePortReachability(world: World): NodePortResult {
  const ports = nodePorts(world);
  const clients = world.namespaces.filter((n) => n.role === "client");
  const found: NodePortCounterexample[] = [];
  const byPolicy: { node: string; nodePort: NodePort }[] = [];
  for (const node of world.nodes) {
    const ns = world.namespaces.find((n) => n.name === node.namespace);
    for (const np of ports) {
      if (ns && dropsByPolicy(ns, np)) byPolicy.push({ node: node.name, nodePort: np });
    }
  }
  let checked = 0;
  for (const client of clients) {
    for (const node of world.nodes) {
      const ns = world.namespaces.find((n) => n.name === node.namespace);
      const addrs = ns?.devices.filter((d) => d.kind === "nic")
        .flatMap((d) => d.addresses.map((a) => a.addr)) ?? [];
      for (const addr of addrs) {
        for (const np of ports) {
          if (byPolicy.some((b) => b.node === node.name && b.nodePort === np)) continue;
          for (const b of everyBranch(world, { namespace: client.name }, addr, np)) {
            checked++;
            // A reply from any other address than `addr` is already a reply-lost drop.
            const problem = problemOf(b);
            if (problem) {
              found.push({
                from: client.name,
                node: node.name,
                addr,
                nodePort: np,
                endpoint: b.endpoint,
                problem,
                trace: b.trace,
              });
            }
          }
        }
      }
    }
  }
  return { holds: found.length === 0, checked, counterexamples: found, dropsByPolicy: byPolicy };
}
