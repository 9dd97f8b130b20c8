/**
 * Routed pods in the compact form (Calico: no bridge). A pod whose `eth0`
 * is a veth into a node namespace where the host end is in no bridge is
 * _routed_: its only address is its IP as a `/32`, its table is
 * `GW dev eth0 scope link` and `default via GW dev eth0` (Calico's
 * `169.254.1.1`), and the node answers ARP for `GW` by proxy ARP on the
 * host end (`forward/proxyarp.ts`). The node reaches the pod through a
 * `/32` route to the host end (`IP dev caliX scope link`).
 *
 * The fabric keeps such a node's host ends as ONE device (kind `veth`,
 * named after the first of them) with one domain, and keeps the pods'
 * `/32` routes out of the routing table: a pod of the domain says that its
 * node holds that route (`FPods.hostRoute`). The evaluator then treats
 * "the destination is a routed pod of this node" as the symbolic decision
 * it is (`fork` outcomes), so the pods of one block stay one destination
 * atom instead of one atom per `/32`.
 *
 * What makes the host ends not alike — an address on a host end, a
 * neighbour entry or another route out of one, a rule whose `-i`/`-o`
 * tells two of them apart — makes the node opaque (its pairs are traced).
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import { ifaceMatches } from "../forward/rules.js";
import type { Device, Namespace, Route, World } from "../model/world.js";
import { deviceAt } from "../world/query.js";
import { proxyArpOn } from "../forward/proxyarp.js";

/** A routed host end: the host veth, the pod namespace behind it and the pod. */
export interface RoutedPort {
  readonly port: Device;
  readonly podNs: Namespace;
  readonly pod: string;
}

/**
 * The host ends of routed pods in a node namespace: veths in no bridge
 * whose peer is a live pod's `eth0`.
 *
 * @param world The world.
 * @param ns The node (or router) namespace.
 * @param podOfNs Live pods by namespace name.
 * @returns The ports, in device order.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { routedPorts } from "./routed.js";
 * const w = unwrap(buildWorld({ mode: "calico-bgp" }), (e) => e.message);
 * const pods = new Map(w.pods.map((p) => [p.namespace!, p.name]));
 * routedPorts(w, w.namespaces.find((n) => n.name === "node-1")!, pods).length; // 2
 * ```
 */
export function routedPorts(
  world: World,
  ns: Namespace,
  podOfNs: ReadonlyMap<string, string>,
): RoutedPort[] {
  const out: RoutedPort[] = [];
  for (const d of ns.devices) {
    if (d.kind !== "veth" || d.master !== undefined) continue;
    const pod = podOfNs.get(d.peer.namespace);
    if (pod === undefined || d.peer.device !== "eth0") continue;
    const podNs = world.namespaces.find((n) => n.name === d.peer.namespace);
    if (podNs === undefined || podNs.role !== "pod") continue;
    out.push({ port: d, podNs, pod });
  }
  return out;
}

/**
 * Whether a node route is the `/32` a CNI plugin installs to a routed pod:
 * `IP dev PORT` with metric 0, no gateway, source or `onlink`.
 *
 * @param r The route.
 * @param ip The pod's address.
 * @param port The host end's name.
 * @returns True for exactly that route.
 */
export function isPodRoute(r: Route, ip: Addr, port: string): boolean {
  return r.type === "unicast" && r.dst.bits === 32 && r.dst.addr === ip && r.dev === port &&
    r.via === undefined && r.src === undefined && !r.onlink && r.metric === 0 &&
    r.proto !== "kernel";
}

/** What the compact form records of a standard routed pod. */
export interface RoutedPod {
  /** The pod's gateway (answered by proxy ARP). */
  readonly gateway: number;
  /** Its node holds the pod's `/32` route to the host end. */
  readonly hostRoute: boolean;
  /** `proxy_arp` is on for the host end. */
  readonly proxyArp: boolean;
}

/**
 * Reads a routed pod: its standard form, or why it is not standard (then
 * its pairs are traced).
 *
 * @param node The node namespace holding the host end.
 * @param podNs The pod's namespace.
 * @param port The host end.
 * @param ip The pod's address.
 * @returns The pod's compact facts, or a reason it is odd.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { readRoutedPod, routedPorts } from "./routed.js";
 * const w = unwrap(buildWorld({ mode: "calico-bgp" }), (e) => e.message);
 * const node = w.namespaces.find((n) => n.name === "node-1")!;
 * const [p] = routedPorts(w, node, new Map(w.pods.map((p) => [p.namespace!, p.name])));
 * readRoutedPod(node, p.podNs, p.port, p.podNs.devices[1].addresses[0].addr); // { gateway, hostRoute: true, proxyArp: true }
 * ```
 */
export function readRoutedPod(
  node: Namespace,
  podNs: Namespace,
  port: Device,
  ip: Addr,
): RoutedPod | string {
  const eth0 = podNs.devices.find((d) => d.name === "eth0");
  if (eth0 === undefined || eth0.kind !== "veth") return "no eth0 veth";
  if (eth0.addresses.length !== 1 || eth0.addresses[0].bits !== 32) return "eth0 is not a /32";
  if (!eth0.up || !port.up || eth0.mtu < 84 || port.mtu < 84) return "link down or MTU below 84";
  if (podNs.routes.length !== 2) return "not the routed pod's two routes";
  const [a, b] = podNs.routes[0].dst.bits === 32
    ? podNs.routes
    : [podNs.routes[1], podNs.routes[0]];
  const plain = (r: Route) =>
    r.type === "unicast" && r.dev === "eth0" && r.metric === 0 && r.src === undefined &&
    r.proto !== "kernel";
  const gw = a.dst.addr;
  if (!plain(a) || a.via !== undefined || a.onlink) return "no scope link route to the gateway";
  if (!plain(b) || b.dst.bits !== 0 || b.via !== gw) return "no default route via the gateway";
  if (gw === ip) return "the pod's gateway is its own address";
  return {
    gateway: gw.value,
    hostRoute: node.routes.some((r) => isPodRoute(r, ip, port.name)),
    proxyArp: proxyArpOn(node, port.name),
  };
}

/**
 * Why a node's routed host ends cannot be one device of the compact form,
 * or `undefined` when they can.
 *
 * @param node The node namespace.
 * @param ports Its routed ports of standard pods.
 * @param implicit The pod routes the compact form keeps out of the table.
 * @returns The reason, or `undefined`.
 */
export function routedProblem(
  node: Namespace,
  ports: readonly RoutedPort[],
  implicit: ReadonlySet<Route>,
): string | undefined {
  if (ports.length === 0) return undefined;
  const names = new Set(ports.map((p) => p.port.name));
  for (const p of ports) {
    if (p.port.addresses.length > 0) return `${node.name}/${p.port.name} has an address`;
  }
  for (const n of node.neighbours) {
    if (names.has(n.dev)) return `${node.name} has a neighbour entry on ${n.dev}`;
  }
  for (const r of node.routes) {
    if (r.dev !== undefined && names.has(r.dev) && !implicit.has(r)) {
      return `${node.name} has a route out of the routed veth ${r.dev}`;
    }
  }
  const first = ports[0].port.name;
  for (const rule of node.netfilter.rules) {
    for (const m of [rule.match.inIface, rule.match.outIface]) {
      if (m === undefined) continue;
      const want = ifaceMatches(m, first);
      if (ports.some((p) => ifaceMatches(m, p.port.name) !== want)) {
        return `${node.name}: a rule tells routed veths apart (${rule.text})`;
      }
    }
  }
  return undefined;
}

/**
 * The peer of a pod's `eth0` when it is a routed host end (a veth in no
 * bridge), else `undefined`.
 *
 * @param world The world.
 * @param podNs The pod's namespace.
 * @returns The host end.
 */
export function routedPeer(world: World, podNs: Namespace): Device | undefined {
  const eth0 = podNs.devices.find((d) => d.name === "eth0");
  if (eth0?.kind !== "veth") return undefined;
  const peer = deviceAt(world, eth0.peer);
  return peer?.kind === "veth" && peer.master === undefined ? peer : undefined;
}

/**
 * A node namespace's routed pods re-read after an edit of the node, against
 * what the fabric recorded for them: the pod routes the compact form keeps
 * out of the table, or `undefined` when anything the fabric recorded about
 * them changed (a `/32` removed or added, `proxy_arp`, a host end that is no
 * longer alike), which needs the fabric derived again.
 *
 * @param world The edited world.
 * @param ns The edited node namespace.
 * @param members The node's routed pods in the fabric: name, address and recorded facts.
 * @returns The implicit routes, or `undefined`.
 */
export function routedAgain(
  world: World,
  ns: Namespace,
  members: readonly { readonly name: string; readonly ip: number; readonly facts: RoutedPod }[],
): Set<Route> | undefined {
  if (ns.sysctl.proxyArp?.includes("all")) return undefined;
  const podOfNs = new Map<string, string>();
  for (const p of world.pods) if (p.namespace) podOfNs.set(p.namespace, p.name);
  const ports = routedPorts(world, ns, podOfNs);
  const byPod = new Map(ports.map((p) => [p.pod, p]));
  const names = new Set(ports.map((p) => p.port.name));
  if ((ns.sysctl.proxyArp ?? []).some((d) => !names.has(d))) return undefined;
  const implicit = new Set<Route>();
  const used: RoutedPort[] = [];
  for (const m of members) {
    const port = byPod.get(m.name);
    if (port === undefined) return undefined;
    const ip = port.podNs.devices.find((d) => d.name === "eth0")?.addresses[0]?.addr;
    if (ip === undefined || ip.value !== m.ip) return undefined;
    const facts = readRoutedPod(ns, port.podNs, port.port, ip);
    if (
      typeof facts === "string" || facts.hostRoute !== m.facts.hostRoute ||
      facts.proxyArp !== m.facts.proxyArp || facts.gateway !== m.facts.gateway
    ) return undefined;
    for (const r of ns.routes) if (isPodRoute(r, ip, port.port.name)) implicit.add(r);
    used.push(port);
  }
  return routedProblem(ns, used, implicit) === undefined ? implicit : undefined;
}
