/**
 * The rules of the Kubernetes network model, each as a function that
 * returns counterexamples (never a bare boolean): an empty list means the
 * rule holds in this world.
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import { restartContainer } from "../pods/lifecycle.js";
import { traceResolved } from "../trace/tracer.js";
import type { Drop, Trace } from "../trace/types.js";
import { podIp, podNamed, podsWithIp } from "../world/query.js";
import type { Pod, Protocol, World } from "../model/world.js";

/** The invariants podnet checks. */
export const INVARIANTS = [
  "nat-free-reachability",
  "localhost-in-pod",
  "unique-pod-ips",
  "disjoint-node-cidrs",
  "stable-ip-across-restarts",
  "path-mtu",
] as const;

/** An invariant's name. */
export type InvariantName = (typeof INVARIANTS)[number];

/** Why a pair of pods fails NAT-free reachability. */
export type ReachProblem =
  | { readonly kind: "dropped"; readonly drop: Drop }
  | { readonly kind: "source-rewritten"; readonly seen: Addr; readonly expected: Addr }
  | { readonly kind: "nat-applied" };

/** A world in which an invariant does not hold, and the evidence. */
export type Counterexample =
  | {
    readonly invariant: "nat-free-reachability";
    readonly from: string;
    readonly to: string;
    readonly problem: ReachProblem;
    readonly trace: Trace;
  }
  | {
    readonly invariant: "localhost-in-pod";
    readonly pod: string;
    readonly from: string;
    readonly to: string;
    readonly port: number;
    readonly proto: Protocol;
    readonly trace: Trace;
  }
  | { readonly invariant: "unique-pod-ips"; readonly ip: Addr; readonly pods: readonly string[] }
  | {
    readonly invariant: "disjoint-node-cidrs";
    readonly node: string;
    readonly cidr: string;
    readonly overlaps: string;
    readonly otherCidr: string;
  }
  | {
    readonly invariant: "stable-ip-across-restarts";
    readonly pod: string;
    readonly container: string;
    readonly before: { readonly ip?: Addr; readonly namespace?: string };
    readonly after: { readonly ip?: Addr; readonly namespace?: string };
  }
  | {
    readonly invariant: "path-mtu";
    readonly from: string;
    readonly to: string;
    /** The sending pod's MTU: what it may send with DF. */
    readonly mtu: number;
    /** The smallest DF packet (IP bytes) that is lost with nobody told. */
    readonly size: number;
    /** Where and why it dies. */
    readonly namespace: string;
    readonly drop: Drop;
    readonly trace: Trace;
  };

/** The outcome of one invariant over one world. */
export interface InvariantResult {
  readonly name: InvariantName;
  readonly holds: boolean;
  /** How many cases were checked (pairs, pods, nodes...). */
  readonly checked: number;
  readonly counterexamples: readonly Counterexample[];
}

function result(
  name: InvariantName,
  checked: number,
  counterexamples: Counterexample[],
): InvariantResult {
  return { name, holds: counterexamples.length === 0, checked, counterexamples };
}

/** Pods that have a sandbox (and so an IP). */
function livePods(world: World): { pod: Pod; ip: Addr; namespace: string }[] {
  const out: { pod: Pod; ip: Addr; namespace: string }[] = [];
  for (const pod of world.pods) {
    const ip = podIp(world, pod);
    if (ip && pod.namespace) out.push({ pod, ip, namespace: pod.namespace });
  }
  return out;
}

/**
 * Every pod reaches every other pod with its own source address and no NAT:
 * for each ordered pair, an ICMP echo from the first to the second's IP is
 * delivered to the second pod, the source it sees is the first pod's IP,
 * and no NAT rule rewrote the packet.
 *
 * @param world The world.
 * @returns The result with one counterexample per failing pair.
 * @example
 * ```ts
 * import { natFreeReachability } from "./invariants.js";
 * declare const world: import("../model/world.js").World;
 * natFreeReachability(world).counterexamples.map((c) => c.invariant);
 * ```
 */
export function natFreeReachability(world: World): InvariantResult {
  const pods = livePods(world);
  const found: Counterexample[] = [];
  for (const a of pods) {
    for (const b of pods) {
      if (a === b) continue;
      const problem = checkPair(world, a, b);
      if (problem) {
        found.push({
          invariant: "nat-free-reachability",
          from: a.pod.name,
          to: b.pod.name,
          ...problem,
        });
      }
    }
  }
  return result("nat-free-reachability", pods.length * (pods.length - 1), found);
}

/**
 * Checks one ordered pair for NAT-free reachability.
 *
 * @returns The problem and its trace, or `undefined` when the pair is fine.
 */
export function checkPair(
  world: World,
  a: { pod: Pod; ip: Addr; namespace: string },
  b: { pod: Pod; ip: Addr },
): { problem: ReachProblem; trace: Trace } | undefined {
  const t = echo(world, a, b, MIN_ECHO);
  const v = t.verdict;
  if (v.kind === "dropped") return { problem: { kind: "dropped", drop: v.drop }, trace: t };
  if (v.src !== a.ip) {
    return { problem: { kind: "source-rewritten", seen: v.src, expected: a.ip }, trace: t };
  }
  if (v.natted) return { problem: { kind: "nat-applied" }, trace: t };
  return undefined;
}

/**
 * Containers of one pod reach each other on localhost: from every running
 * container to every port another running container of the same pod
 * listens on, a packet to 127.0.0.1 is delivered to that container.
 *
 * @param world The world.
 * @returns The result.
 */
export function localhostInPod(world: World): InvariantResult {
  const found: Counterexample[] = [];
  let checked = 0;
  for (const { pod, namespace } of livePods(world)) {
    const running = pod.containers.filter((c) => c.state === "running");
    for (const from of running) {
      for (const to of running) {
        if (from === to) continue;
        for (const port of to.ports) {
          checked++;
          const t = traceResolved(world, {
            namespace,
            pod,
            container: from.name,
            dst: Addr.mustParse("127.0.0.1"),
            claimants: [],
            proto: port.protocol,
            sport: 40000,
            dport: port.port,
            size: 60,
            df: true,
          });
          const v = t.verdict;
          if (v.kind !== "delivered" || v.namespace !== namespace || v.container !== to.name) {
            found.push({
              invariant: "localhost-in-pod",
              pod: pod.name,
              from: from.name,
              to: to.name,
              port: port.port,
              proto: port.protocol,
              trace: t,
            });
          }
        }
      }
    }
  }
  return result("localhost-in-pod", checked, found);
}

/**
 * No two pods share an IP.
 *
 * @param world The world.
 * @returns One counterexample per shared address, naming the pods.
 */
export function uniquePodIps(world: World): InvariantResult {
  const byIp = new Map<Addr, string[]>();
  const pods = livePods(world);
  for (const { pod, ip } of pods) byIp.set(ip, [...(byIp.get(ip) ?? []), pod.name]);
  const found: Counterexample[] = [];
  for (const [ip, names] of byIp) {
    if (names.length > 1) found.push({ invariant: "unique-pod-ips", ip, pods: names });
  }
  return result("unique-pod-ips", pods.length, found);
}

/**
 * No two nodes' pod CIDRs overlap. Sorted by start address and swept once,
 * so it costs O(n log n) for n nodes; each node that overlaps an earlier
 * one is reported once, with the earlier node.
 *
 * @param world The world.
 * @returns The result.
 */
export function disjointNodeCidrs(world: World): InvariantResult {
  const nodes = [...world.nodes].sort((a, b) =>
    a.podCidr.first.value - b.podCidr.first.value || a.podCidr.bits - b.podCidr.bits
  );
  const found: Counterexample[] = [];
  let widest = nodes[0];
  for (const n of nodes.slice(1)) {
    if (n.podCidr.first.value <= widest.podCidr.last.value) {
      found.push({
        invariant: "disjoint-node-cidrs",
        node: n.name,
        cidr: n.podCidr.toString(),
        overlaps: widest.name,
        otherCidr: widest.podCidr.toString(),
      });
    }
    if (n.podCidr.last.value > widest.podCidr.last.value) widest = n;
  }
  return result("disjoint-node-cidrs", world.nodes.length, found);
}

/**
 * Restarting any app container keeps the pod's namespace and IP (the pause
 * container holds them).
 *
 * @param world The world.
 * @returns The result, with the IP and namespace before and after for each failure.
 */
export function stableIpAcrossRestarts(world: World): InvariantResult {
  const found: Counterexample[] = [];
  let checked = 0;
  for (const { pod, ip, namespace } of livePods(world)) {
    for (const c of pod.containers) {
      if (c.pause || c.state !== "running") continue;
      checked++;
      const r = restartContainer(world, `${pod.name}/${c.name}`);
      if (!r.ok) continue;
      const after = podNamed(r.value.world, pod.name)!;
      const afterIp = podIp(r.value.world, after);
      if (afterIp !== ip || after.namespace !== namespace) {
        found.push({
          invariant: "stable-ip-across-restarts",
          pod: pod.name,
          container: c.name,
          before: { ip, namespace },
          after: { ip: afterIp, namespace: after.namespace },
        });
      }
    }
  }
  return result("stable-ip-across-restarts", checked, found);
}

/**
 * Every pod pair can exchange packets up to the sending pod's MTU, or the
 * sender is told: for each ordered pair that reaches at all (the other
 * pairs are {@linkcode natFreeReachability}'s), a DF ICMP echo of the
 * sender's MTU is delivered, or refused with something the sender sees (an
 * ICMP "fragmentation needed" or another error, a local error such as
 * EMSGSIZE). Silent loss is a counterexample, with the smallest size at
 * which it starts (found by bisection) and the drop that causes it.
 *
 * @param world The world.
 * @returns The result, one counterexample per pair that loses packets silently.
 * @example
 * ```ts
 * import { pathMtu } from "./invariants.js";
 * declare const world: import("../model/world.js").World;
 * pathMtu(world).counterexamples.map((c) => c.invariant === "path-mtu" && c.size);
 * ```
 */
export function pathMtu(world: World): InvariantResult {
  const pods = livePods(world);
  const found: Counterexample[] = [];
  let checked = 0;
  for (const a of pods) {
    const mtu = podMtu(world, a.namespace, a.ip);
    for (const b of pods) {
      if (a === b) continue;
      const at = (size: number) => echo(world, a, b, size);
      if (!fine(at(MIN_ECHO)) || mtu <= MIN_ECHO) continue;
      checked++;
      const full = at(mtu);
      if (fine(full)) continue;
      let [lo, hi, t] = [MIN_ECHO, mtu, full]; // lo is fine, hi is lost silently
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        const m = at(mid);
        if (fine(m)) lo = mid;
        else [hi, t] = [mid, m];
      }
      const v = t.verdict;
      if (v.kind !== "dropped") continue; // delivered elsewhere: nat-free-reachability's
      found.push({
        invariant: "path-mtu",
        from: a.pod.name,
        to: b.pod.name,
        mtu,
        size: hi,
        namespace: v.namespace,
        drop: v.drop,
        trace: t,
      });
    }
  }
  return result("path-mtu", checked, found);
}

/** An ICMP echo with ping's default 56 bytes of data. */
const MIN_ECHO = 84;

/** A DF ICMP echo of `size` bytes from pod `a` to pod `b`'s address. */
function echo(
  world: World,
  a: { pod: Pod; namespace: string },
  b: { pod: Pod; ip: Addr },
  size: number,
): Trace {
  return traceResolved(world, {
    namespace: a.namespace,
    pod: a.pod,
    dst: b.ip,
    intended: b.pod,
    claimants: podsWithIp(world, b.ip),
    proto: "icmp",
    size,
    df: true,
  });
}

/** Delivered, or dropped with the sender told. */
function fine(t: Trace): boolean {
  const v = t.verdict;
  return v.kind === "delivered" || (v.kind === "dropped" && v.senderSees.kind !== "nothing");
}

/** The MTU of the pod's device that holds its address. */
function podMtu(world: World, namespace: string, ip: Addr): number {
  const ns = world.namespaces.find((n) => n.name === namespace);
  return ns?.devices.find((d) => d.addresses.some((x) => x.addr === ip))?.mtu ?? 1500;
}

/**
 * Runs every invariant.
 *
 * @param world The world.
 * @returns One result per invariant, in the order of {@linkcode INVARIANTS}.
 * @example
 * ```ts
 * import { checkInvariants } from "./invariants.js";
 * declare const world: import("../model/world.js").World;
 * checkInvariants(world).every((r) => r.holds);
 * ```
 */
export function checkInvariants(world: World): InvariantResult[] {
  return [
    natFreeReachability(world),
    localhostInPod(world),
    uniquePodIps(world),
    disjointNodeCidrs(world),
    stableIpAcrossRestarts(world),
    pathMtu(world),
  ];
}
