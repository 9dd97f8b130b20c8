/**
 * Builds scenario documents for the networking modes the course teaches.
 * Each mode is one declarative builder in the registry (`modes.ts`,
 * `calico.ts`); this file reads the spec, asks the mode's builder for the
 * nodes, devices and routes, and creates the pods — attached to a bridge
 * or routed, as the builder's nodes say.
 *
 * @module
 */
import { Addr, formatParseError, maskOf, Prefix } from "../addr/mod.js";
import { createPods } from "../pods/lifecycle.js";
import { err, ok, type Result } from "../result.js";
import type { World } from "../model/world.js";
import { loadBuiltScenario } from "./load.js";
import { CLUSTER_LIMITS } from "./screen.js";
import { formatLoadError, type RefusedLine } from "./reader.js";
import { MODES } from "../world/names.js";
import { toScenario } from "./save.js";
import type { ScenarioDoc } from "./schema.js";
import { BUILDERS } from "./modes.js";
import type {
  BuildError,
  ClusterSpec,
  Infrastructure,
  Layout,
  ModeBuilder,
  ServiceInput,
} from "./plan.js";
import { kubeProxyLines, type ServiceSpec } from "./kubeproxy.js";
import { namespaceNamed, podIp, podNamed } from "../world/query.js";
import { iptablesLines, setIptables } from "../world/edit.js";

export { type Mode, MODES } from "../world/names.js";
export type { BuildError, ClusterSpec } from "./plan.js";

/**
 * Builds a scenario document for a mode.
 *
 * @param spec The mode and sizes.
 * @returns The document, or what is wrong with the spec.
 * @example
 * ```ts
 * import { buildScenario } from "./build.js";
 * const doc = buildScenario({ mode: "vxlan", nodes: 3, pods: 2 });
 * if (doc.ok) console.log(doc.value.pods.map((p) => p.name)); // ["a", ..., "f"]
 * ```
 */
export function buildScenario(spec: ClusterSpec): Result<ScenarioDoc, BuildError> {
  const world = buildWorld(spec);
  return world.ok ? ok(toScenario(world.value)) : world;
}

/**
 * Builds a mode's world: the mode's builder lays out the nodes, devices
 * and routes, which load as an operator's script would run them, then the
 * pods are created and the Services programmed. The world is the one
 * {@linkcode buildScenario} saves; loading that document gives this world
 * back (a property test holds the two equal), so a large cluster is not
 * built twice.
 *
 * @param spec The mode and sizes.
 * @returns The world or what is wrong with the spec.
 * @example
 * ```ts
 * import { buildWorld } from "./build.js";
 * const world = buildWorld({ mode: "host-gw", nodes: 3, pods: 1 });
 * if (world.ok) console.log(world.value.pods.length); // 3
 * ```
 */
export function buildWorld(spec: ClusterSpec): Result<World, BuildError> {
  const layout = plan(spec);
  if (!layout.ok) return layout;
  const builder = BUILDERS[spec.mode];
  const infra = builder.build(layout.value);
  if ("field" in infra) return err(infra);
  const services = spec.services ?? [];
  const infraDoc = document(layout.value, infra);
  let world = loadRefusingLines(
    services.some((s) => s.nodePort !== undefined) ? withClient(infraDoc) : infraDoc,
  );
  const names = podNames(layout.value.pods);
  const app = {
    name: "app",
    ports: [{ port: 8080, protocol: "tcp" as const }, { port: 8080, protocol: "udp" as const }],
  };
  const sidecar = { name: "sidecar", ports: [{ port: 9090, protocol: "tcp" as const }] };
  // One list for every pod that serves no Service (its containers are made once).
  const plain = [app, sidecar];
  const known = new Set(names.flat());
  const unknown = services.flatMap((s) => s.endpoints).find((e) => !known.has(e));
  if (unknown !== undefined) {
    return err({ field: "services", message: `No pod called "${unknown}" to be an endpoint` });
  }
  const created = createPods(
    world,
    names.flatMap((onNode, n) =>
      onNode.map((name, k) => ({
        name,
        node: world.nodes[n].name,
        containers: withServiceContainers(plain, serviceContainers(services, name, plain)),
        ...(infra.podIps ? { ip: infra.podIps[n][k] } : {}),
      }))
    ),
    { events: false },
  );
  if (!created.ok) return err({ field: "pods", message: created.error.message });
  world = created.value.world;
  if (builder.finish) world = builder.finish(world, layout.value);
  if (services.length > 0) {
    const programmed = programServices(world, services, layout.value.cluster.toString());
    if (!programmed.ok) return programmed;
    world = programmed.value;
  }
  return ok(world);
}

/** The external client's namespace, `client`, that a cluster with NodePorts gets. */
export const CLIENT = "client";

/**
 * A machine outside the cluster on the first node's underlay subnet, at its
 * last host address (`192.168.0.254` in a `/24`), with no route beyond the
 * subnet: what connects to a NodePort from outside.
 */
function withClient(doc: ScenarioDoc): ScenarioDoc {
  const first = doc.nodes[0];
  const nic = doc.namespaces.find((n) => n.name === (first?.namespace ?? first?.name))
    ?.devices.find((d) => d.kind === "nic" && d.addresses?.length);
  const own = nic?.addresses?.[0] ? Prefix.parse(nic.addresses[0]) : undefined;
  if (!nic || !own?.ok) return doc;
  const subnet = own.value.masked();
  const addr = Addr.fromUint32(subnet.last.value - 1);
  return {
    ...doc,
    namespaces: [...doc.namespaces, {
      name: CLIENT,
      role: "client",
      devices: [
        { name: "lo", kind: "loopback" },
        {
          name: "eth0",
          kind: "nic",
          segment: nic.segment,
          mtu: nic.mtu,
          addresses: [`${addr}/${subnet.bits}`],
        },
      ],
    }],
  };
}

/**
 * Loads the infrastructure the way an operator's script would run: a line
 * that `ip route add`, `ip neigh add` or `bridge fdb add` refuses (with
 * overlapping pod ranges a gateway can be a local address, or a route exist
 * already) is simply not there. Any other problem is a bug in a builder.
 */
function loadRefusingLines(doc: ScenarioDoc): World {
  let current = doc;
  for (;;) {
    const loaded = loadBuiltScenario(current, { limits: CLUSTER_LIMITS });
    if (loaded.ok) return loaded.value;
    const refused = loaded.error.flatMap((e) => e.refused ? [e.refused] : []);
    const other = loaded.error.filter((e) => !e.refused && !e.truncated);
    if (other.length > 0 || refused.length === 0) {
      throw new Error(
        `Builder produced a bad scenario: ${loaded.error.map(formatLoadError).join("; ")}`,
      );
    }
    current = withoutLines(current, refused);
  }
}

function withoutLines(doc: ScenarioDoc, refused: readonly RefusedLine[]): ScenarioDoc {
  const drop = new Set(refused.map((x) => `${x.namespace}/${x.list}/${x.index}`));
  const keep = (ns: number, key: string) => (_: string, i: number) =>
    !drop.has(`${ns}/${key}/${i}`);
  return {
    ...doc,
    namespaces: doc.namespaces.map((ns, i) => ({
      ...ns,
      routes: ns.routes?.filter(keep(i, "routes")),
      neighbours: ns.neighbours?.filter(keep(i, "neighbours")),
      fdb: ns.fdb?.filter(keep(i, "fdb")),
    })),
  };
}

/**
 * Reads a cluster spec into its layout, every default filled in (what
 * every builder, and the verifier's generated fabrics, lay out from).
 *
 * @param spec What to build.
 * @returns The layout, or the field of the spec at fault.
 * @example
 * ```ts
 * import { plan } from "./build.js";
 * plan({ mode: "calico-bgp", nodes: 3 }).ok; // true
 * ```
 */
export function plan(spec: ClusterSpec): Result<Layout, BuildError> {
  if (!(MODES as readonly string[]).includes(spec.mode)) {
    return err({ field: "mode", message: `Mode must be one of ${MODES.join(", ")}` });
  }
  const builder: ModeBuilder = BUILDERS[spec.mode];
  const nodeCount = spec.nodes ?? builder.defaultNodes;
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 5000) {
    return err({ field: "nodes", message: "Nodes must be a whole number from 1 to 5000" });
  }
  if (nodeCount > 250 && !spec.podCidrs && !builder.onePool) {
    return err({
      field: "podCidrs",
      message:
        "More than 250 nodes need their pod CIDRs given (the default /24s of 10.244.0.0/16 run out)",
    });
  }
  if (builder.fixedNodes && nodeCount !== builder.defaultNodes) {
    return err({ field: "nodes", message: `${spec.mode} has ${builder.defaultNodes} node(s)` });
  }
  const pods = typeof spec.pods === "object"
    ? [...spec.pods]
    : Array(nodeCount).fill(spec.pods ?? builder.defaultPods);
  if (pods.length !== nodeCount || pods.some((n) => !Number.isInteger(n) || n < 0 || n > 250)) {
    return err({
      field: "pods",
      message: "Pods per node must be whole numbers from 0 to 250, one per node",
    });
  }
  const cidrs = readCidrs(spec, builder, nodeCount);
  if (!cidrs.ok) return cidrs;
  const underlay = readPrefix(
    spec.underlay ?? builder.defaultUnderlay ?? "192.168.0.0/24",
    "underlay",
  );
  if (!underlay.ok) return underlay;
  if (underlay.value.size < nodeCount + 12) {
    return err({ field: "underlay", message: "Underlay subnet is too small for the nodes" });
  }
  const mtu = spec.mtu ?? 1500;
  if (!Number.isInteger(mtu) || mtu < 576 || mtu > 9000) {
    return err({ field: "mtu", message: "MTU must be from 576 to 9000" });
  }
  const flannelDefault = Prefix.mustParse("10.244.0.0/16");
  const cluster = spec.clusterCidr ? readPrefix(spec.clusterCidr, "clusterCidr") : ok(
    cidrs.value.every((c) => flannelDefault.contains(c.first) && c.bits >= 16)
      ? flannelDefault
      : covering(cidrs.value),
  );
  if (!cluster.ok) return cluster;
  return ok({
    spec,
    nodeCount,
    pods,
    cidrs: cidrs.value,
    cluster: cluster.value,
    underlay: underlay.value.masked(),
    mtu,
  });
}

function readPrefix(text: string, field: keyof ClusterSpec): Result<Prefix, BuildError> {
  const p = Prefix.parse(text);
  return p.ok ? ok(p.value) : err({ field, message: formatParseError(p.error) });
}

function readCidrs(
  spec: ClusterSpec,
  builder: ModeBuilder,
  count: number,
): Result<Prefix[], BuildError> {
  const wanted = builder.onePool ? 1 : count;
  const texts = spec.podCidrs ?? Array.from({ length: wanted }, (_, i) => builder.defaultCidr(i));
  if (texts.length !== wanted) {
    return err({
      field: "podCidrs",
      message: builder.onePool ? "Give one IP pool" : "Give one pod CIDR per node",
    });
  }
  const out: Prefix[] = [];
  for (const t of texts) {
    const p = readPrefix(t, "podCidrs");
    if (!p.ok) return p;
    if (!p.value.isMasked || p.value.bits > 28 || p.value.bits < 8) {
      return err({
        field: "podCidrs",
        message: `${t}: a pod CIDR is a network prefix from /8 to /28`,
      });
    }
    out.push(p.value);
  }
  return ok(builder.onePool ? Array(count).fill(out[0]) : out);
}

/** The longest prefix that contains every given prefix. */
export function covering(prefixes: readonly Prefix[]): Prefix {
  let bits = Math.min(...prefixes.map((p) => p.bits));
  const base = prefixes[0].addr.value;
  while (bits > 0 && prefixes.some((p) => ((p.addr.value ^ base) & maskOf(bits)) !== 0)) bits--;
  return Prefix.of(Addr.fromUint32((base & maskOf(bits)) >>> 0), bits);
}

/**
 * The pods' names by node: `a`, `b`, ... for up to 26 pods, else `pN-K`.
 *
 * @param pods Pods per node.
 * @returns The names.
 * @example
 * ```ts
 * import { podNames } from "./build.js";
 * podNames([2, 1]); // [["a", "b"], ["c"]]
 * ```
 */
export function podNames(pods: readonly number[]): string[][] {
  const total = pods.reduce((a, b) => a + b, 0);
  let next = 0;
  return pods.map((count, n) =>
    Array.from(
      { length: count },
      (_, k) => (total <= 26 ? String.fromCharCode(97 + next++) : `p${n + 1}-${k + 1}`),
    )
  );
}

/** The scenario document of a cluster's infrastructure, before its pods. */
function document(layout: Layout, infra: Infrastructure): ScenarioDoc {
  const { spec } = layout;
  return {
    version: 1,
    name: spec.name ?? spec.mode,
    mode: spec.mode,
    ...(spec.description ? { description: spec.description } : {}),
    segments: infra.segments,
    nodes: infra.nodes.map((n) => n.node),
    namespaces: [...infra.nodes.map((n) => n.namespace), ...infra.others],
    pods: [],
  };
}

type PortSpec = { readonly port: number; readonly protocol: "tcp" | "udp" };

/** Containers an endpoint pod needs so that something listens on each of its Services' target ports. */
/** A pod's container specs: the common list, or a new one when it also serves Services. */
function withServiceContainers<T>(plain: readonly T[], extra: readonly T[]): readonly T[] {
  return extra.length === 0 ? plain : [...plain, ...extra];
}

function serviceContainers(
  services: readonly ServiceInput[],
  pod: string,
  have: readonly { readonly ports: readonly PortSpec[] }[],
): { name: string; ports: PortSpec[] }[] {
  const out: { name: string; ports: PortSpec[] }[] = [];
  for (const s of services) {
    if (!s.endpoints.includes(pod)) continue;
    const listening = [...have, ...out].some((c) =>
      c.ports.some((p) => p.port === s.targetPort && p.protocol === s.protocol)
    );
    if (listening) continue;
    const name = s.container ?? s.name;
    const same = out.find((c) => c.name === name);
    if (same) same.ports.push({ port: s.targetPort, protocol: s.protocol });
    else out.push({ name, ports: [{ port: s.targetPort, protocol: s.protocol }] });
  }
  return out;
}

/** kube-proxy's rules on every node, before the node's own. */
function programServices(
  world: World,
  services: readonly ServiceInput[],
  clusterCidr: string,
): Result<World, BuildError> {
  const specs: ServiceSpec[] = services.map((s) => ({
    ...s,
    endpoints: s.endpoints.map((name) => String(podIp(world, podNamed(world, name)!))),
    endpointNodes: s.endpoints.map((name) => podNamed(world, name)!.node),
  }));
  // The same lines on every node, unless externalTrafficPolicy: Local makes them per node.
  const perNode = specs.some((s) => s.externalTrafficPolicy === "Local");
  const shared = perNode ? undefined : kubeProxyLines(specs, clusterCidr);
  let w = world;
  for (const node of world.nodes) {
    const ns = namespaceNamed(w, node.namespace)!;
    const lines = shared ?? kubeProxyLines(specs, clusterCidr, node.name);
    const set = setIptables(w, ns.name, [...lines, ...iptablesLines(ns)]);
    if (!set.ok) {
      return err({
        field: "services",
        message: set.error.map((e) => e.message).join("; "),
      });
    }
    w = set.value;
  }
  return ok(w);
}
