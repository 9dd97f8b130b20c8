/**
 * Broken worlds on purpose: mutations of a scenario document, the kind a
 * cluster suffers in practice (a link down, an FDB entry moved, a route
 * turned into a blackhole, a stray iptables rule, an MTU changed on one
 * end), as values that print as the Linux command that would make them,
 * and fast-check arbitraries that pick them from a generated cluster.
 * The lab (`deno task lab --fuzz`) and the tests use the same generator.
 *
 * A mutation edits the document; the loader decides whether Linux would
 * build the result. {@linkcode applyMutations} keeps only the mutations
 * whose result loads, so every broken world is one `ip`, `bridge`,
 * `sysctl` and `iptables` would accept.
 *
 * @module
 */
import fc from "fast-check";
import { match } from "ts-pattern";
import { Addr, Prefix } from "../addr/mod.js";
import { buildScenario, type ClusterSpec, type Mode, MODES } from "../scenario/build.js";
import { loadScenario } from "../scenario/load.js";
import type { DeviceDoc, NamespaceDoc, ScenarioDoc } from "../scenario/schema.js";
import { formatRoute } from "../syntax/iproute.js";
import { connectedRoutes } from "../world/routes.js";
import { vxlanMaxMtu } from "../world/edit.js";
import type { World } from "../model/world.js";

/** Sysctls a mutation flips. */
export type SysctlKey =
  | "net.ipv4.ip_forward"
  | "net.ipv4.ip_default_ttl"
  | `net.ipv4.conf.${string}.proxy_arp`;

/** One breakage of a scenario document; `ns` names the namespace it happens in. */
export type Mutation =
  | { readonly kind: "link-down"; readonly ns: string; readonly dev: string }
  | { readonly kind: "mtu"; readonly ns: string; readonly dev: string; readonly mtu: number }
  | { readonly kind: "segment-mtu"; readonly segment: string; readonly mtu: number }
  | {
    readonly kind: "address-remove" | "address-to-lo";
    readonly ns: string;
    readonly dev: string;
    readonly address: string;
  }
  | {
    readonly kind: "sysctl";
    readonly ns: string;
    readonly key: SysctlKey;
    readonly value: number;
  }
  | { readonly kind: "learning"; readonly ns: string; readonly dev: string; readonly on: boolean }
  | { readonly kind: "route-delete"; readonly ns: string; readonly route: string }
  | {
    readonly kind: "route-replace";
    readonly ns: string;
    readonly route: string;
    readonly line: string;
  }
  | { readonly kind: "route-add"; readonly ns: string; readonly line: string }
  | { readonly kind: "neigh-delete" | "neigh-add"; readonly ns: string; readonly line: string }
  | { readonly kind: "fdb-delete" | "fdb-add"; readonly ns: string; readonly line: string }
  | {
    readonly kind: "fdb-replace";
    readonly ns: string;
    readonly line: string;
    readonly with: string;
  }
  | { readonly kind: "iptables"; readonly ns: string; readonly at: number; readonly rule: string };

/**
 * The mutation as the command that makes it on Linux.
 *
 * @param m A mutation.
 * @returns e.g. `ip -n node-1 link set eth0 down`.
 * @example
 * ```ts
 * import { describeMutation } from "./mutate.js";
 * describeMutation({ kind: "link-down", ns: "node-1", dev: "eth0" });
 * // "ip -n node-1 link set eth0 down"
 * ```
 */
export function describeMutation(m: Mutation): string {
  return match(m)
    .with(
      { kind: "link-down" },
      (m) => `ip -n ${m.ns} link set ${m.dev} down (its routes go with it)`,
    )
    .with({ kind: "mtu" }, (m) => `ip -n ${m.ns} link set ${m.dev} mtu ${m.mtu}`)
    .with({ kind: "segment-mtu" }, (m) => `segment ${m.segment}: mtu ${m.mtu}`)
    .with({ kind: "address-remove" }, (m) => `ip -n ${m.ns} addr del ${m.address} dev ${m.dev}`)
    .with(
      { kind: "address-to-lo" },
      (m) => `ip -n ${m.ns} addr del ${m.address} dev ${m.dev}; add ${hostOf(m.address)}/32 dev lo`,
    )
    .with({ kind: "sysctl" }, (m) => `ip netns exec ${m.ns} sysctl ${m.key}=${m.value}`)
    .with(
      { kind: "learning" },
      (m) => `ip -n ${m.ns} link set ${m.dev} type vxlan ${m.on ? "" : "no"}learning`,
    )
    .with({ kind: "route-delete" }, (m) => `ip -n ${m.ns} route del ${m.route}`)
    .with({ kind: "route-replace" }, (m) => `ip -n ${m.ns} route del ${m.route}; add ${m.line}`)
    .with({ kind: "route-add" }, (m) => `ip -n ${m.ns} route add ${m.line}`)
    .with({ kind: "neigh-delete" }, (m) => `ip -n ${m.ns} neigh del ${m.line}`)
    .with({ kind: "neigh-add" }, (m) => `ip -n ${m.ns} neigh replace ${m.line}`)
    .with({ kind: "fdb-delete" }, (m) => `bridge -n ${m.ns} fdb del ${m.line}`)
    .with({ kind: "fdb-add" }, (m) => `bridge -n ${m.ns} fdb append ${m.line}`)
    .with(
      { kind: "fdb-replace" },
      (m) => `bridge -n ${m.ns} fdb del ${m.line}; append ${m.with}`,
    )
    .with({ kind: "iptables" }, (m) => `ip netns exec ${m.ns} iptables ${m.rule} (at ${m.at})`)
    .exhaustive();
}

function hostOf(address: string): string {
  return address.split("/")[0];
}

/**
 * Applies one mutation to a document. Pure; the result may be a document
 * the loader refuses (use {@linkcode applyMutations} to keep only those
 * Linux would build).
 *
 * @param doc The document.
 * @param m The mutation.
 * @returns The new document.
 */
export function applyMutation(doc: ScenarioDoc, m: Mutation): ScenarioDoc {
  if (m.kind === "segment-mtu") {
    return {
      ...doc,
      segments: doc.segments.map((s) => (s.name === m.segment ? { ...s, mtu: m.mtu } : s)),
    };
  }
  return {
    ...doc,
    namespaces: doc.namespaces.map((ns) => (ns.name === m.ns ? editNamespace(ns, m) : ns)),
  };
}

type NsMutation = Exclude<Mutation, { kind: "segment-mtu" }>;

function editNamespace(ns: NamespaceDoc, m: NsMutation): NamespaceDoc {
  const dev = (name: string, f: (d: DeviceDoc) => DeviceDoc): NamespaceDoc => ({
    ...ns,
    devices: ns.devices.map((d) => (d.name === name ? f(d) : d)),
  });
  const without = (list: readonly string[] | undefined, line: string) =>
    (list ?? []).filter((x) => x !== line);
  return match(m)
    .with(
      { kind: "link-down" },
      (m) => withoutRoutesOf(dev(m.dev, (d) => ({ ...d, up: false })), m.dev),
    )
    .with({ kind: "mtu" }, (m) => dev(m.dev, (d) => ({ ...d, mtu: m.mtu })))
    .with(
      { kind: "address-remove" },
      (m) => dev(m.dev, (d) => ({ ...d, addresses: without(d.addresses, m.address) })),
    )
    .with({ kind: "address-to-lo" }, (m) => {
      const moved = dev(m.dev, (d) => ({ ...d, addresses: without(d.addresses, m.address) }));
      return {
        ...moved,
        devices: moved.devices.map((d) =>
          d.kind === "loopback"
            ? { ...d, addresses: [...(d.addresses ?? []), `${hostOf(m.address)}/32`] }
            : d
        ),
      };
    })
    .with({ kind: "sysctl" }, (m) => ({ ...ns, sysctl: { ...ns.sysctl, [m.key]: m.value } }))
    .with({ kind: "learning" }, (m) => dev(m.dev, (d) => ({ ...d, learning: m.on })))
    .with({ kind: "route-delete" }, (m) => deleteRouteLine(ns, m.route))
    .with({ kind: "route-replace" }, (m) => {
      const gone = deleteRouteLine(ns, m.route);
      return { ...gone, routes: [...(gone.routes ?? []), m.line] };
    })
    .with({ kind: "route-add" }, (m) => ({ ...ns, routes: [...(ns.routes ?? []), m.line] }))
    .with({ kind: "neigh-delete" }, (m) => ({ ...ns, neighbours: without(ns.neighbours, m.line) }))
    .with({ kind: "neigh-add" }, (m) => ({
      ...ns,
      neighbours: [...(ns.neighbours ?? []).filter((l) => !sameNeighbour(l, m.line)), m.line],
    }))
    .with({ kind: "fdb-delete" }, (m) => ({ ...ns, fdb: without(ns.fdb, m.line) }))
    .with({ kind: "fdb-add" }, (m) => ({ ...ns, fdb: [...(ns.fdb ?? []), m.line] }))
    .with({ kind: "fdb-replace" }, (m) => ({
      ...ns,
      fdb: (ns.fdb ?? []).map((l) => (l === m.line ? m.with : l)),
    }))
    .with({ kind: "iptables" }, (m) => {
      const rules = [...(ns.iptables ?? [])];
      rules.splice(Math.min(m.at, rules.length), 0, m.rule);
      return { ...ns, iptables: rules };
    })
    .exhaustive();
}

/**
 * Taking a device down removes the routes through it (`fib_sync_down_dev`):
 * those naming it and those whose gateway is in one of its subnets.
 */
function withoutRoutesOf(ns: NamespaceDoc, name: string): NamespaceDoc {
  const subnets = (ns.devices.find((d) => d.name === name)?.addresses ?? []).map((a) =>
    Prefix.mustParse(a)
  );
  const through = (line: string) => {
    const w = line.split(/\s+/);
    const dev = w.indexOf("dev");
    if (dev >= 0) return w[dev + 1] === name;
    const via = w.indexOf("via");
    const gw = via >= 0 ? Addr.parse(w[via + 1]) : undefined;
    return gw?.ok === true && subnets.some((s) => s.contains(gw.value));
  };
  return { ...ns, routes: (ns.routes ?? []).filter((r) => !through(r)) };
}

/** Same address and device: `ip neigh replace` swaps the entry. */
function sameNeighbour(a: string, b: string): boolean {
  const key = (l: string) => {
    const w = l.split(/\s+/);
    return `${w[0]} ${w[w.indexOf("dev") + 1]}`;
  };
  return key(a) === key(b);
}

/** A static route line goes from `routes`; a connected route joins `removedKernelRoutes`. */
function deleteRouteLine(ns: NamespaceDoc, route: string): NamespaceDoc {
  if ((ns.routes ?? []).includes(route)) {
    return { ...ns, routes: ns.routes!.filter((r) => r !== route) };
  }
  return { ...ns, removedKernelRoutes: [...(ns.removedKernelRoutes ?? []), route] };
}

/** A document after mutations, with the mutations that made it. */
export interface Mutated {
  readonly doc: ScenarioDoc;
  readonly world: World;
  /** The mutations applied, in order (no-ops and those the loader refused are left out). */
  readonly applied: readonly Mutation[];
}

/**
 * Applies mutations in order, keeping each only if it changes the document
 * and the loader accepts the result (as `ip` refuses a route whose gateway
 * it cannot reach).
 *
 * @param doc A document the loader accepts.
 * @param mutations The mutations to try.
 * @returns The mutated document, its world and the mutations kept.
 * @example
 * ```ts
 * import { buildScenario } from "../scenario/build.js";
 * import { applyMutations } from "./mutate.js";
 * const doc = buildScenario({ mode: "host-gw" });
 * if (doc.ok) {
 *   const broken = applyMutations(doc.value, [{ kind: "link-down", ns: "node-2", dev: "eth0" }]);
 *   broken.applied.length; // 1
 * }
 * ```
 */
export function applyMutations(doc: ScenarioDoc, mutations: readonly Mutation[]): Mutated {
  const first = loadScenario(doc);
  if (!first.ok) throw new Error(`The document to mutate does not load: ${first.error[0].message}`);
  let world = first.value;
  let current = doc;
  const applied: Mutation[] = [];
  for (const m of mutations) {
    const next = applyMutation(current, m);
    if (JSON.stringify(next) === JSON.stringify(current)) continue; // no change: not a breakage
    const loaded = loadScenario(next);
    // A VXLAN MTU above its underlay's less the headers is a state Linux
    // reaches in one order of commands only (underlay lowered afterwards);
    // the generator leaves such worlds out, so every world it makes is built
    // by the lab's one order.
    if (!loaded.ok || vxlanAboveUnderlay(loaded.value)) continue;
    current = next;
    world = loaded.value;
    applied.push(m);
  }
  return { doc: current, world, applied };
}

function vxlanAboveUnderlay(world: World): boolean {
  return world.namespaces.some((ns) =>
    ns.devices.some((d) => {
      const max = vxlanMaxMtu(ns, d);
      return max !== undefined && d.mtu > max;
    })
  );
}

const MTUS = [576, 1280, 1350, 1400, 1449, 1450, 1451, 1499, 1500, 1501, 9000];
const ROUTE_TYPES = ["blackhole", "unreachable", "prohibit"] as const;

/**
 * Every mutation of one document's places, as an arbitrary: a device, an
 * address, a route, a neighbour, an FDB entry or a rule position is picked
 * at random, and what is done to it too.
 *
 * @param doc A document the loader accepts.
 * @returns Mutations of that document.
 */
export function mutationsOf(doc: ScenarioDoc): fc.Arbitrary<Mutation> {
  const loaded = loadScenario(doc);
  if (!loaded.ok) {
    throw new Error(`The document to mutate does not load: ${loaded.error[0].message}`);
  }
  const world = loaded.value;
  const nsDocs = doc.namespaces;
  const devices = world.namespaces.flatMap((ns) =>
    ns.devices.filter((d) => d.kind !== "loopback").map((d) => ({ ns: ns.name, d }))
  );
  const addresses = devices.flatMap(({ ns, d }) =>
    d.addresses.map((a) => ({ ns, dev: d.name, address: a.toString() }))
  );
  const hosts = [...new Set(addresses.map((a) => hostOf(a.address)))];
  const unassigned = world.nodes.map((n) =>
    Addr.fromUint32(n.podCidr.first.value + 200).toString()
  );
  const targets = [...hosts, ...unassigned, "203.0.113.7"];
  const macs = [...new Set(devices.map(({ d }) => d.mac.toString()))];
  const routes = world.namespaces.flatMap((ns) => [
    ...(nsDocs.find((n) => n.name === ns.name)?.routes ?? []).map((route) => ({
      ns: ns.name,
      route,
    })),
    ...connectedRoutes(ns.devices).map((r) => ({ ns: ns.name, route: formatRoute(r) })),
  ]);
  const lines = (key: "neighbours" | "fdb") =>
    nsDocs.flatMap((ns) => (ns[key] ?? []).map((line) => ({ ns: ns.name, line })));
  const neighbours = lines("neighbours");
  const fdb = lines("fdb");
  const vxlans = devices.filter(({ d }) => d.kind === "vxlan");
  const ports = devices.filter(({ d }) => d.master !== undefined);
  const names = world.namespaces.map((ns) => ns.name);
  const nodeAddrs = world.namespaces.filter((ns) => ns.role !== "pod").flatMap((ns) =>
    ns.devices.filter((d) => d.kind === "nic").flatMap((d) => d.addresses.map((a) => a.addr))
  ).map(String);
  const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);

  const options: fc.Arbitrary<Mutation>[] = [];
  const when = <T>(xs: readonly T[], f: (pick: fc.Arbitrary<T>) => fc.Arbitrary<Mutation>) => {
    if (xs.length > 0) options.push(f(pick(xs)));
  };
  when(devices, (d) => d.map(({ ns, d }): Mutation => ({ kind: "link-down", ns, dev: d.name })));
  when(devices, (d) =>
    fc.tuple(d, pick(MTUS)).map(([{ ns, d }, mtu]): Mutation => ({
      kind: "mtu",
      ns,
      dev: d.name,
      mtu,
    })));
  when(world.segments, (s) =>
    fc.tuple(s, pick(MTUS)).map(([s, mtu]): Mutation => ({
      kind: "segment-mtu",
      segment: s.name,
      mtu,
    })));
  when(addresses, (a) =>
    fc.tuple(a, fc.boolean()).map(([a, lo]): Mutation => ({
      kind: lo ? "address-to-lo" : "address-remove",
      ...a,
    })));
  when(
    names,
    (ns) =>
      fc.tuple(ns, fc.boolean(), pick([0, 1, 2, 64])).map(([ns, fwd, v]): Mutation =>
        fwd
          ? { kind: "sysctl", ns, key: "net.ipv4.ip_forward", value: v === 0 ? 0 : 1 }
          : { kind: "sysctl", ns, key: "net.ipv4.ip_default_ttl", value: Math.max(1, v) }
      ),
  );
  // Proxy ARP turned off on a routed pod's host end (Calico answers 169.254.1.1 by it).
  const proxied = world.namespaces.flatMap((ns) =>
    (ns.sysctl.proxyArp ?? []).map((dev) => ({ ns: ns.name, dev }))
  );
  when(proxied, (p) =>
    p.map(({ ns, dev }): Mutation => ({
      kind: "sysctl",
      ns,
      key: `net.ipv4.conf.${dev}.proxy_arp`,
      value: 0,
    })));
  when(vxlans, (v) =>
    fc.tuple(v, fc.boolean()).map(([{ ns, d }, on]): Mutation => ({
      kind: "learning",
      ns,
      dev: d.name,
      on,
    })));
  when(routes, (r) => r.map(({ ns, route }): Mutation => ({ kind: "route-delete", ns, route })));
  when(routes, (r) =>
    fc.tuple(r, pick(ROUTE_TYPES)).map(([{ ns, route }, type]): Mutation => ({
      kind: "route-replace",
      ns,
      route,
      line: `${type} ${route.split(" ")[0] === "default" ? "default" : route.split(" ")[0]}`,
    })));
  when(routes, (r) =>
    fc.tuple(r, pick(targets)).map(([{ ns, route }, via]): Mutation => ({
      kind: "route-replace",
      ns,
      route,
      line: `${route.split(" ")[0]} via ${via}`,
    })));
  when(
    names,
    (ns) =>
      fc.tuple(ns, pick(targets), fc.integer({ min: 25, max: 32 }), pick(targets), fc.boolean())
        .map(([ns, dst, bits, via, typed]): Mutation => ({
          kind: "route-add",
          ns,
          line: typed
            ? `unreachable ${Prefix.of(Addr.mustParse(dst), bits).masked()}`
            : `${Prefix.of(Addr.mustParse(dst), bits).masked()} via ${via}`,
        })),
  );
  when(neighbours, (n) => n.map(({ ns, line }): Mutation => ({ kind: "neigh-delete", ns, line })));
  when(
    devices,
    (d) =>
      fc.tuple(d, pick(targets), pick(macs)).map(([{ ns, d }, addr, mac]): Mutation => ({
        kind: "neigh-add",
        ns,
        line: `${addr} dev ${d.name} lladdr ${mac} nud permanent`,
      })),
  );
  when(fdb, (f) => f.map(({ ns, line }): Mutation => ({ kind: "fdb-delete", ns, line })));
  when(
    fdb,
    (f) =>
      fc.tuple(f, pick(nodeAddrs.length ? nodeAddrs : targets), pick(["permanent", "static"]))
        .map(([{ ns, line }, dst, flag]): Mutation => ({
          kind: "fdb-replace",
          ns,
          line,
          with: line.replace(/dst \S+/, `dst ${dst}`).replace(/ (permanent|static)$/, ` ${flag}`),
        })),
  );
  when(vxlans, (v) =>
    fc.tuple(v, pick(macs), pick(nodeAddrs.length ? nodeAddrs : targets)).map((
      [{ ns, d }, mac, dst],
    ): Mutation => ({
      kind: "fdb-add",
      ns,
      line: `${mac} dev ${d.name} dst ${dst} self permanent`,
    })));
  when(
    ports,
    (p) =>
      fc.tuple(p, pick(macs), pick(["static", "permanent"])).map((
        [{ ns, d }, mac, flag],
      ): Mutation => ({
        kind: "fdb-add",
        ns,
        line: `${mac} dev ${d.name} master ${d.master} ${flag}`,
      })),
  );
  options.push(iptablesMutations(world, names, targets));
  return fc.oneof(...options);
}

/** A rule in a random chain and position: DROP, ACCEPT, RETURN, DNAT, SNAT or MASQUERADE. */
function iptablesMutations(
  world: World,
  names: readonly string[],
  targets: readonly string[],
): fc.Arbitrary<Mutation> {
  const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
  const devs = new Map(world.namespaces.map((ns) => [ns.name, ns.devices.map((d) => d.name)]));
  return fc.record({
    ns: pick(names),
    at: fc.nat({ max: 4 }),
    chain: pick(["nat PREROUTING", "nat POSTROUTING", "filter FORWARD", "policy"] as const),
    src: fc.option(pick(targets), { nil: undefined }),
    dst: fc.option(pick(targets), { nil: undefined }),
    iface: fc.option(fc.nat(), { nil: undefined }),
    udp: fc.boolean(),
    choice: fc.nat({ max: 2 }),
    to: pick(targets),
  }).map((r): Mutation => {
    const ifaces = devs.get(r.ns) ?? [];
    const words: string[] = [];
    if (r.chain === "policy") {
      return { kind: "iptables", ns: r.ns, at: r.at, rule: "-P FORWARD DROP" };
    }
    const [table, chain] = r.chain.split(" ");
    words.push("-t", table, "-A", chain);
    if (r.src) words.push("-s", `${r.src}/32`);
    if (r.dst) words.push("-d", `${r.dst}/32`);
    if (r.iface !== undefined && ifaces.length > 0) {
      words.push(chain === "POSTROUTING" ? "-o" : "-i", ifaces[r.iface % ifaces.length]);
    }
    if (r.udp) words.push("-p", "udp", "--dport", "8080");
    const target = chain === "PREROUTING"
      ? [["-j", "DNAT", "--to-destination", r.udp ? `${r.to}:8080` : r.to], ["-j", "ACCEPT"], [
        "-j",
        "RETURN",
      ]][r.choice]
      : chain === "POSTROUTING"
      ? [["-j", "MASQUERADE"], ["-j", "SNAT", "--to-source", r.to], ["-j", "RETURN"]][r.choice]
      : [["-j", "DROP"], ["-j", "ACCEPT"], ["-j", "DROP"]][r.choice];
    return { kind: "iptables", ns: r.ns, at: r.at, rule: [...words, ...target].join(" ") };
  });
}

/** What {@linkcode brokenWorlds} generates from. */
export interface BrokenWorldOptions {
  /** Networking modes (default: {@linkcode FUZZ_MODES}). */
  readonly modes?: readonly Mode[];
  /** At most this many nodes (default 3). */
  readonly maxNodes?: number;
  /** At most this many pods per node (default 2). */
  readonly maxPods?: number;
  /** At most this many mutations tried per world (default 3; at least 1). */
  readonly maxMutations?: number;
}

/**
 * The modes broken worlds come from by default: the bridged ones, in the
 * order they had when the lab's regression seeds were recorded, so a seed
 * printed then replays the same world now. Calico's modes are asked for by
 * name (`CALICO_FUZZ_MODES`).
 */
export const FUZZ_MODES: readonly Mode[] = MODES.filter((m) => !m.startsWith("calico-"));

/** Calico's modes, for broken worlds of routed pods. */
export const CALICO_FUZZ_MODES: readonly Mode[] = MODES.filter((m) => m.startsWith("calico-"));

/** A generated cluster, broken. */
export interface BrokenWorld extends Mutated {
  readonly spec: ClusterSpec;
}

/**
 * Small generated clusters of every mode with one to a few mutations each.
 *
 * @param options Modes, sizes and how many mutations.
 * @returns Broken worlds; print `spec` and `applied` to say which.
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { brokenWorlds } from "./mutate.js";
 * const [w] = fc.sample(brokenWorlds({ modes: ["vxlan"] }), { seed: 1, numRuns: 1 });
 * w.applied.length >= 0; // true
 * ```
 */
export function brokenWorlds(options: BrokenWorldOptions = {}): fc.Arbitrary<BrokenWorld> {
  return clusterSpecs(options.modes ?? FUZZ_MODES, options.maxNodes ?? 3, options.maxPods ?? 2)
    .chain(
      (spec) => {
        const doc = buildScenario(spec);
        if (!doc.ok) throw new Error(`Generated an invalid cluster spec: ${doc.error.message}`);
        return fc.array(mutationsOf(doc.value), {
          minLength: 1,
          maxLength: Math.max(1, options.maxMutations ?? 3),
        }).map((ms) => ({ spec, ...applyMutations(doc.value, ms) }));
      },
    );
}

/**
 * Disjoint pod CIDRs for `n` nodes: blocks of one random size (/22 to /26)
 * at distinct random positions inside a random 10.X.0.0/16.
 *
 * @param n How many.
 * @returns CIDRs as text.
 */
export function disjointCidrs(n: number): fc.Arbitrary<string[]> {
  return fc.record({
    second: fc.integer({ min: 0, max: 255 }),
    bits: fc.integer({ min: 22, max: 26 }),
  }).chain(({ second, bits }) =>
    fc.uniqueArray(fc.integer({ min: 0, max: 2 ** (bits - 16) - 1 }), {
      minLength: n,
      maxLength: n,
    })
      .map((blocks) =>
        blocks.map((b) =>
          Prefix.of(Addr.fromUint32(((10 << 24) | (second << 16)) + b * 2 ** (32 - bits)), bits)
            .toString()
        )
      )
  );
}

/**
 * A cluster spec: a mode, 1 to `maxNodes` nodes (1 for single-host), 1 to
 * `maxPods` pods per node, disjoint CIDRs.
 *
 * @param modes The modes to pick from.
 * @param maxNodes At most this many nodes.
 * @param maxPods At most this many pods per node.
 * @returns Specs.
 */
export function clusterSpecs(
  modes: readonly Mode[],
  maxNodes: number,
  maxPods: number,
): fc.Arbitrary<ClusterSpec> {
  return fc.constantFrom(...modes).chain((mode) => {
    const nodes = mode === "single-host" ? fc.constant(1) : fc.integer({ min: 1, max: maxNodes });
    return nodes.chain((n) =>
      fc.record({
        pods: fc.array(fc.integer({ min: 1, max: maxPods }), { minLength: n, maxLength: n }),
        podCidrs: disjointCidrs(n),
      }).map(({ pods, podCidrs }): ClusterSpec => ({
        mode,
        nodes: n,
        pods,
        // Calico's modes take one IP pool and cut it into blocks themselves.
        ...(mode.startsWith("calico-") ? {} : { podCidrs }),
      }))
    );
  });
}
