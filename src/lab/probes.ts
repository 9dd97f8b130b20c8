/**
 * The probes the lab sends through a world: every ordered pair of pods
 * with ICMP and UDP, and, on two working paths, a few that should fail in
 * telling ways — a packet as large as the sender's MTU with DF, one byte
 * more, DF packets either side of every smaller MTU boundary on the path, a
 * large packet without DF, TTL 1 and 2, a closed UDP port — and an
 * unused address inside a pod CIDR and one outside every CIDR. Pure.
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import type { Probe } from "../trace/probe.js";
import { trace } from "../trace/tracer.js";
import { podIp } from "../world/query.js";
import type { Pod, World } from "../model/world.js";

/** One probe of the lab: the kernel's probe and the key that finds it on Linux. */
export interface LabProbe {
  readonly label: string;
  readonly probe: Probe & { readonly proto: "icmp" | "udp" };
  /** ICMP echo id, or the UDP source port (also the kernel probe's `sport`). */
  readonly key: number;
}

/** A UDP port no container listens on. */
export const CLOSED_PORT = 9999;

/** Where UDP probes' source ports start (one per probe, so each is its own flow). */
const UDP_KEYS = 40000;

/** What {@linkcode labProbes} needs besides the world. */
export interface ProbeOptions {
  /** Add the probes that test MTU, TTL, closed ports and unknown addresses (default true). */
  readonly extras?: boolean;
  /**
   * Also probe from every node and router to every pod, and from a pod and
   * a node to every address of every node and router device (down devices
   * and `lo` included), to DNATed addresses and to unassigned ones (default
   * false; `deno task lab --fuzz` sets it).
   */
  readonly wide?: boolean;
}

/**
 * The probes for a world.
 *
 * @param world The world.
 * @param options Whether to add the extra probes.
 * @returns The probes, each with a unique key.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { labProbes } from "./probes.js";
 * const world = unwrap(buildWorld({ mode: "host-gw" }), (e) => e.message);
 * labProbes(world, { extras: false }).length; // 24: 12 pairs, ICMP and UDP
 * ```
 */
export function labProbes(world: World, options: ProbeOptions = {}): LabProbe[] {
  const pods = world.pods.filter((p) => p.namespace !== undefined && podIp(world, p));
  const out: LabProbe[] = [];
  let next = 1;
  const add = (label: string, probe: Omit<LabProbe["probe"], "sport">) => {
    const key = next++;
    const sport = probe.proto === "udp" ? UDP_KEYS + key : undefined;
    out.push({ label, key: sport ?? key, probe: { ...probe, ...(sport ? { sport } : {}) } });
  };
  for (const a of pods) {
    for (const b of pods) {
      if (a === b) continue;
      add(`${a.name} → ${b.name} icmp`, { from: a.name, to: b.name, proto: "icmp" });
      const port = udpPort(b);
      add(`${a.name} → ${b.name} udp:${port}`, {
        from: a.name,
        to: b.name,
        proto: "udp",
        port,
      });
    }
  }
  if (options.wide) wideProbes(world, pods, add);
  serviceProbes(world, pods, add, options.extras !== false);
  if (options.extras === false || pods.length < 2) return out;
  const first = pods[0];
  const last = pods[pods.length - 1];
  for (const [a, b] of extraPairs(world, pods)) {
    const mtu = senderMtu(world, a);
    add(`${a.name} → ${b.name} icmp ${mtu}B DF`, {
      from: a.name,
      to: b.name,
      proto: "icmp",
      size: mtu,
    });
    add(`${a.name} → ${b.name} udp ${mtu}B DF`, {
      from: a.name,
      to: b.name,
      proto: "udp",
      port: udpPort(b),
      size: mtu,
    });
    add(`${a.name} → ${b.name} icmp ${mtu}B DF, warm neighbours`, {
      from: a.name,
      to: b.name,
      proto: "icmp",
      size: mtu,
      neighbours: "warm",
    });
    add(`${a.name} → ${b.name} icmp ${mtu + 1}B DF`, {
      from: a.name,
      to: b.name,
      proto: "icmp",
      size: mtu + 1,
    });
    for (const size of boundarySizes(world, a, b, mtu)) {
      add(`${a.name} → ${b.name} icmp ${size}B DF`, {
        from: a.name,
        to: b.name,
        proto: "icmp",
        size,
      });
    }
    add(`${a.name} → ${b.name} icmp 2000B no DF`, {
      from: a.name,
      to: b.name,
      proto: "icmp",
      size: 2000,
      df: false,
    });
    for (const ttl of [1, 2]) {
      add(`${a.name} → ${b.name} icmp ttl ${ttl}`, {
        from: a.name,
        to: b.name,
        proto: "icmp",
        ttl,
      });
    }
    add(`${a.name} → ${b.name} udp:${CLOSED_PORT}`, {
      from: a.name,
      to: b.name,
      proto: "udp",
      port: CLOSED_PORT,
    });
  }
  const unused = unusedPodAddress(world, last);
  if (unused) {
    add(`${first.name} → ${unused} icmp`, { from: first.name, to: unused, proto: "icmp" });
  }
  add(`${first.name} → 203.0.113.7 icmp`, { from: first.name, to: "203.0.113.7", proto: "icmp" });
  return out;
}

type Add = (label: string, probe: Omit<LabProbe["probe"], "sport">) => void;

/** The probes of {@linkcode ProbeOptions.wide}: every namespace kind as a sender, every address as a target. */
function wideProbes(world: World, pods: readonly Pod[], add: Add): void {
  const hosts = world.namespaces.filter((ns) => ns.role !== "pod");
  for (const ns of hosts) {
    for (const b of pods) {
      add(`${ns.name} → ${b.name} icmp`, { from: ns.name, to: b.name, proto: "icmp" });
      const port = udpPort(b);
      add(`${ns.name} → ${b.name} udp:${port}`, { from: ns.name, to: b.name, proto: "udp", port });
    }
  }
  const targets = new Set<string>();
  for (const ns of hosts) {
    for (const d of ns.devices) {
      for (const a of d.addresses) if (!a.addr.isLoopback()) targets.add(String(a.addr));
    }
  }
  for (const ns of world.namespaces) {
    for (const r of ns.netfilter.rules) {
      if (r.target.kind === "DNAT" && r.match.dst && !r.match.dst.negate) {
        targets.add(String(r.match.dst.prefix.first));
      }
    }
  }
  for (const n of world.nodes) targets.add(String(Addr.fromUint32(n.podCidr.last.value - 1)));
  const senders = [pods[0]?.name, hosts[0]?.name].filter((s): s is string => s !== undefined);
  for (const from of senders) {
    for (const to of targets) add(`${from} → ${to} icmp`, { from, to, proto: "icmp" });
  }
}

/**
 * The pairs the extra probes go between: two whose path works (an ICMP
 * probe is delivered), both ways and across nodes where possible, first
 * pod → last pod and back preferred. Extras on a broken path would only repeat its
 * failure, and each repeat of a route error waits for Linux's ICMP error
 * budget (see `errorBudget` in runner.ts).
 */
function extraPairs(world: World, pods: readonly Pod[]): [Pod, Pod][] {
  const first = pods[0];
  const last = pods[pods.length - 1];
  const all = pods.flatMap((a) => pods.filter((b) => b !== a).map((b): [Pod, Pod] => [a, b]));
  const rank = ([a, b]: [Pod, Pod]) =>
    (a === first && b === last ? 0 : a === last && b === first ? 1 : 2) +
    (a.node === b.node ? 3 : 0);
  const works = ([a, b]: [Pod, Pod]) => {
    const t = trace(world, { from: a.name, to: b.name });
    return t.ok && t.value.verdict.kind === "delivered" && t.value.verdict.pod === b.name;
  };
  // Paths that work both ways first: on a one-way path every probe waits out its timeout.
  const usable = all.filter(works);
  const roundTrip = (p: [Pod, Pod]) => usable.some(([a, b]) => a === p[1] && b === p[0]) ? 0 : 6;
  return usable.sort((x, y) => rank(x) + roundTrip(x) - rank(y) - roundTrip(y)).slice(0, 2);
}

/**
 * DF sizes either side of every MTU boundary below the sender's MTU on the
 * path, as the kernel sees it: a tunnel's path MTU (wrapped anyway or
 * refused), and the largest size that still arrives (found by bisection)
 * with one byte more — where silent loss would start.
 */
function boundarySizes(world: World, a: Pod, b: Pod, mtu: number): number[] {
  const arrives = (size: number) => {
    const t = trace(world, { from: a.name, to: b.name, size });
    return t.ok && t.value.verdict.kind === "delivered";
  };
  const sizes = new Set<number>();
  const full = trace(world, { from: a.name, to: b.name, size: mtu });
  if (full.ok) {
    for (const s of full.value.hops.flatMap((h) => h.steps)) {
      if (s.kind === "mtu" && (s.outcome === "wrapped-anyway" || s.outcome === "too-big")) {
        sizes.add(s.mtu).add(s.mtu + 1);
      }
    }
  }
  if (arrives(MIN_PROBE) && !arrives(mtu)) {
    let [lo, hi] = [MIN_PROBE, mtu]; // lo arrives, hi does not
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (arrives(mid)) lo = mid;
      else hi = mid;
    }
    sizes.add(lo).add(hi);
  }
  return [...sizes].filter((n) => n >= MIN_PROBE && n < mtu).sort((x, y) => x - y);
}

/** The smallest probe: an ICMP echo with ping's default 56 bytes of data. */
const MIN_PROBE = 84;

function udpPort(pod: Pod): number {
  const open = pod.containers.flatMap((c) =>
    c.state === "running" ? c.ports.filter((p) => p.protocol === "udp") : []
  );
  return open[0]?.port ?? 8080;
}

function senderMtu(world: World, pod: Pod): number {
  const ns = world.namespaces.find((n) => n.name === pod.namespace);
  const ip = podIp(world, pod);
  const dev = ns?.devices.find((d) => d.addresses.some((a) => a.addr === ip));
  return dev?.mtu ?? 1500;
}

/** The highest host address of the pod's node CIDR that no device in the world holds. */
function unusedPodAddress(world: World, pod: Pod): string | undefined {
  const cidr = world.nodes.find((n) => n.name === pod.node)?.podCidr;
  if (cidr === undefined || cidr.bits > 29) return undefined;
  const used = new Set(
    world.namespaces.flatMap((n) => n.devices.flatMap((d) => d.addresses.map((a) => a.addr))),
  );
  const broadcast = cidr.first.value + 2 ** (32 - cidr.bits) - 1;
  for (let v = broadcast - 1; v > cidr.first.value + 1; v--) {
    const a = Addr.fromUint32(v);
    if (!used.has(a)) return a.toString();
  }
  return undefined;
}

/**
 * UDP Services (a `-d VIP -p udp --dport N -j KUBE-SVC-…` rule on a node):
 * every pod sends to each; with the extras, the first pod also with TTL 1
 * and 2, whose time-exceeded errors conntrack sends from the Service address.
 */
function serviceProbes(world: World, pods: readonly Pod[], add: Add, extras: boolean): void {
  const vips = new Map<string, number>();
  for (const ns of world.namespaces.filter((n) => n.role === "node")) {
    for (const r of ns.netfilter.rules) {
      const m = r.match;
      if (
        r.table === "nat" && r.target.kind === "JUMP" && r.target.chain.startsWith("KUBE-SVC-") &&
        m.dst && !m.dst.negate && m.dst.prefix.bits === 32 && m.proto === "udp" &&
        m.dport !== undefined
      ) vips.set(String(m.dst.prefix.addr), m.dport);
    }
  }
  for (const [vip, port] of vips) {
    for (const a of pods) {
      add(`${a.name} → ${vip}:${port} udp (Service)`, {
        from: a.name,
        to: vip,
        proto: "udp",
        port,
      });
    }
    if (!extras || pods.length === 0) continue;
    for (const ttl of [1, 2]) {
      add(`${pods[0].name} → ${vip}:${port} udp ttl ${ttl} (Service)`, {
        from: pods[0].name,
        to: vip,
        proto: "udp",
        port,
        ttl,
      });
    }
  }
  nodePortProbes(world, add);
}

/**
 * UDP NodePorts (a `KUBE-NODEPORTS -p udp --dport N` rule on a node): every
 * external client (role `client`) sends to each on every node's underlay
 * addresses.
 */
function nodePortProbes(world: World, add: Add): void {
  const ports = new Set<number>();
  for (const ns of world.namespaces.filter((n) => n.role === "node")) {
    for (const r of ns.netfilter.rules) {
      if (
        r.table === "nat" && r.chain === "KUBE-NODEPORTS" && r.match.proto === "udp" &&
        r.match.dport !== undefined
      ) ports.add(r.match.dport);
    }
  }
  const clients = world.namespaces.filter((n) => n.role === "client");
  for (const port of ports) {
    for (const client of clients) {
      for (const node of world.nodes) {
        const ns = world.namespaces.find((n) => n.name === node.namespace);
        for (const d of ns?.devices.filter((d) => d.kind === "nic") ?? []) {
          for (const a of d.addresses) {
            add(`${client.name} → ${a.addr}:${port} udp (NodePort)`, {
              from: client.name,
              to: String(a.addr),
              proto: "udp",
              port,
            });
          }
        }
      }
    }
  }
}
