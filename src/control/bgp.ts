/**
 * BGP route distribution as Calico's BIRD does it: every node is one
 * iBGP speaker in one AS (64512 by default) and originates the prefixes
 * its IPAM blocks give it. Who peers with whom is the topology — a full
 * mesh (every pair of nodes) or route reflectors (each client peers with
 * every reflector, reflectors with each other). iBGP's rule decides what
 * travels: a route learned from an iBGP peer is not passed on to another,
 * except by a route reflector, which reflects a client's routes to every
 * peer and a non-client's routes to its clients. The next hop stays the
 * originating node.
 *
 * Faults change the sessions, and so the routes: a missing peering has no
 * session; a node whose BIRD stopped closes its sessions at once (its
 * kernel closes the TCP connections), so peers withdraw its routes, while
 * the routes it had installed stay in its own kernel (a killed BIRD
 * removes nothing; Calico's kernel protocol has `persist`); a node that is down (powered off, unreachable) keeps its
 * sessions until the hold time runs out, then the same; an export filter
 * on a node keeps a prefix from its peers.
 *
 * @module
 */
import type { Prefix } from "../addr/mod.js";

/** Who peers with whom. */
export type BgpTopology =
  | { readonly kind: "full-mesh" }
  | { readonly kind: "route-reflectors"; readonly reflectors: readonly number[] };

/** Something wrong with BGP, by node index. */
export type BgpFault =
  /** No session between the two nodes (a BGPPeer removed, a firewall on TCP 179). */
  | { readonly kind: "missing-peering"; readonly a: number; readonly b: number }
  /** The node's BIRD is stopped: its sessions close at once; its kernel keeps the routes it had (stops count in list order). */
  | { readonly kind: "bird-stopped"; readonly node: number }
  /** The node is down since `elapsed` seconds: its sessions last until the hold time. */
  | { readonly kind: "node-down"; readonly node: number; readonly elapsed: number }
  /** The node does not export `prefix` to its peers. */
  | { readonly kind: "export-filter"; readonly node: number; readonly prefix: Prefix };

/** The BGP configuration of a cluster. */
export interface BgpConfig {
  readonly topology: BgpTopology;
  readonly faults?: readonly BgpFault[];
  /** Hold time in seconds (BIRD's default 240; Calico's template keeps it). */
  readonly holdTime?: number;
}

/** An Established session between two nodes. */
export interface Session {
  readonly a: number;
  readonly b: number;
}

/** A route a node learned: the prefix and the node that originated it (the next hop). */
export interface Learned {
  readonly prefix: Prefix;
  readonly origin: number;
  /** The peer it was learned from (the origin, or a reflector). */
  readonly from: number;
}

/** BIRD's default hold time. */
export const DEFAULT_HOLD_TIME = 240;

/**
 * The sessions that are Established.
 *
 * @param nodes Number of nodes.
 * @param config Topology and faults.
 * @returns The sessions, `a < b`.
 * @example
 * ```ts
 * import { sessions } from "./bgp.js";
 * sessions(3, { topology: { kind: "full-mesh" } }).length; // 3
 * ```
 */
export function sessions(nodes: number, config: BgpConfig): Session[] {
  const faults = config.faults ?? [];
  const hold = config.holdTime ?? DEFAULT_HOLD_TIME;
  const dead = new Set<number>();
  for (const f of faults) {
    if (f.kind === "bird-stopped") dead.add(f.node);
    if (f.kind === "node-down" && f.elapsed >= hold) dead.add(f.node);
  }
  const missing = (a: number, b: number) =>
    faults.some((f) =>
      f.kind === "missing-peering" && ((f.a === a && f.b === b) || (f.a === b && f.b === a))
    );
  const out: Session[] = [];
  const rr = config.topology.kind === "route-reflectors"
    ? new Set(config.topology.reflectors)
    : undefined;
  for (let a = 0; a < nodes; a++) {
    for (let b = a + 1; b < nodes; b++) {
      if (rr && !rr.has(a) && !rr.has(b)) continue;
      if (dead.has(a) || dead.has(b) || missing(a, b)) continue;
      out.push({ a, b });
    }
  }
  return out;
}

/**
 * What every node learns over BGP: for each node, the routes it installs
 * (one per prefix; with several paths, the one from the lowest peer, as
 * BIRD prefers the lowest router ID among equals).
 *
 * @param originated Prefixes each node originates.
 * @param config Topology and faults.
 * @returns Per node, the learned routes (never its own prefixes).
 * @example
 * ```ts
 * import { Prefix } from "../addr/mod.js";
 * import { learnedRoutes } from "./bgp.js";
 * const p = (s: string) => [Prefix.mustParse(s)];
 * const got = learnedRoutes([p("10.244.0.0/26"), p("10.244.0.64/26")], { topology: { kind: "full-mesh" } });
 * got[0].map((r) => `${r.prefix} via node ${r.origin + 1}`); // ["10.244.0.64/26 via node 2"]
 * ```
 */
export function learnedRoutes(
  originated: readonly (readonly Prefix[])[],
  config: BgpConfig,
): Learned[][] {
  const routes = propagate(originated, config);
  const faults = config.faults ?? [];
  // A node whose BIRD stopped keeps what it had installed when it stopped:
  // BIRDs stop in the order of the faults, so only earlier stops count.
  faults.forEach((f, k) => {
    if (f.kind !== "bird-stopped") return;
    const earlier = faults.filter((g, j) => g.kind !== "bird-stopped" || j < k);
    routes[f.node] = propagate(originated, { ...config, faults: earlier })[f.node];
  });
  return routes;
}

function propagate(originated: readonly (readonly Prefix[])[], config: BgpConfig): Learned[][] {
  const n = originated.length;
  const filtered = (node: number, prefix: Prefix) =>
    (config.faults ?? []).some((f) =>
      f.kind === "export-filter" && f.node === node && f.prefix === prefix
    );
  const peers: number[][] = Array.from({ length: n }, () => []);
  for (const s of sessions(n, config)) {
    peers[s.a].push(s.b);
    peers[s.b].push(s.a);
  }
  const reflectors = config.topology.kind === "route-reflectors"
    ? new Set(config.topology.reflectors)
    : new Set<number>();
  // Best route per node and prefix; propagate until nothing changes.
  const best: Map<Prefix, Learned>[] = Array.from({ length: n }, () => new Map());
  const queue: { node: number; route: Learned }[] = [];
  originated.forEach((prefixes, node) => {
    for (const prefix of prefixes) {
      queue.push({ node, route: { prefix, origin: node, from: node } });
    }
  });
  while (queue.length > 0) {
    const { node, route } = queue.shift()!;
    for (const peer of peers[node]) {
      if (peer === route.origin || filtered(node, route.prefix)) continue;
      if (!mayAdvertise(node, route, peer, reflectors)) continue;
      const have = best[peer].get(route.prefix);
      if (have !== undefined && have.from <= node) continue;
      if (originated[peer].includes(route.prefix)) continue;
      const learned = { prefix: route.prefix, origin: route.origin, from: node };
      best[peer].set(route.prefix, learned);
      queue.push({ node: peer, route: learned });
    }
  }
  return best.map((m) => [...m.values()]);
}

/** iBGP split horizon and route reflection (RFC 4456). */
function mayAdvertise(
  node: number,
  route: Learned,
  peer: number,
  reflectors: ReadonlySet<number>,
): boolean {
  if (route.origin === node) return true;
  if (!reflectors.has(node)) return false;
  // A reflector: routes from a client go to everyone; from a non-client, to clients only.
  const fromClient = !reflectors.has(route.from);
  return fromClient || !reflectors.has(peer);
}
