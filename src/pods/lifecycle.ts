/**
 * Pod lifecycle as the kubelet and a bridge CNI plugin with host-local IPAM
 * carry it out: a pod's sandbox is a network namespace held by its pause
 * container; app containers join it. Restarting an app container keeps the
 * namespace and IP; losing the pause container (or deleting the pod)
 * destroys the namespace and frees the IP.
 *
 * Every operation returns a new world and the events that happened, or an
 * error value for bad input.
 *
 * @module
 */
import { Addr, Mac, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { defaultMac, hostVethName } from "../world/names.js";
import { namespaceNamed, nodeNamed, podIp, podNamed } from "../world/query.js";
import { compareRoutes, connectedRouteFor, DEFAULT_ROUTE } from "../world/routes.js";
import type {
  Container,
  ContainerPort,
  Device,
  Namespace,
  Node,
  Pod,
  Route,
  World,
} from "../model/world.js";

/** Something that happened to a pod, in order. */
export type PodEvent =
  | { readonly kind: "ip-allocated"; readonly ip: Addr; readonly node: string }
  | { readonly kind: "ip-freed"; readonly ip: Addr; readonly node: string }
  | { readonly kind: "namespace-created"; readonly namespace: string }
  | { readonly kind: "namespace-destroyed"; readonly namespace: string }
  | {
    readonly kind: "veth-created";
    readonly pod: string;
    readonly host: string;
    /** The bridge the host end joined; absent for a routed veth. */
    readonly bridge?: string;
  }
  | { readonly kind: "veth-deleted"; readonly host: string }
  | { readonly kind: "container-started"; readonly container: string }
  | { readonly kind: "container-restarted"; readonly container: string; readonly restarts: number }
  | { readonly kind: "container-exited"; readonly container: string }
  | { readonly kind: "pod-deleted"; readonly pod: string };

/** A world after an operation, with what happened. */
export interface PodChange {
  readonly world: World;
  readonly events: readonly PodEvent[];
}

/** Why an operation was refused. */
export interface PodError {
  readonly subject: string;
  readonly message: string;
}

/** An app container to create. */
export interface ContainerSpec {
  readonly name: string;
  readonly ports?: readonly ContainerPort[];
}

/** What `createPod` needs. */
export interface PodSpec {
  readonly name: string;
  readonly node: string;
  /** App containers (default: one called `app` on 8080/tcp). */
  readonly containers?: readonly ContainerSpec[];
  /** False builds the hypothetical pod without a pause container. */
  readonly pause?: boolean;
  /** The address the cluster's IPAM assigned (Calico's blocks); default: host-local's next. */
  readonly ip?: Addr;
}

const fail = (subject: string, message: string) => err<PodError>({ subject, message });

/**
 * Creates a pod: allocates the next free IP of the node's pod CIDR
 * (host-local IPAM: round-robin after the last address handed out, skipping
 * the bridge's gateway address), creates the namespace with `lo` and `eth0`,
 * a veth pair whose host end joins the node's bridge, a default route via
 * the bridge, and starts the pause and app containers.
 *
 * @param world The world.
 * @param spec Pod name, node and containers.
 * @returns The new world and events, or why not.
 * @example
 * ```ts
 * import { createPod } from "./lifecycle.js";
 * declare const world: import("../model/world.js").World;
 * const r = createPod(world, { name: "web", node: "node-1" });
 * if (r.ok) console.log(r.value.events);
 * ```
 */
export function createPod(world: World, spec: PodSpec): Result<PodChange, PodError> {
  return createPods(world, [spec]);
}

/**
 * Creates many pods in one step: the same world and events as calling
 * {@linkcode createPod} for each spec in order, in time that grows with the
 * number of pods created, not with the size of the world times that number
 * (a 5,000-node cluster's 150,000 pods are created in one pass).
 *
 * @param world The world.
 * @param specs The pods, in the order they are created.
 * @param options `events: false` when the caller has no use for the events
 *   (a cluster builder): `events` is then empty, and 150,000 pods' worth of
 *   them is never made.
 * @returns The new world and every pod's events in order, or the first
 *   refusal (nothing is created then).
 * @example
 * ```ts
 * import { createPods } from "./lifecycle.js";
 * declare const world: import("../model/world.js").World;
 * const r = createPods(world, [{ name: "a", node: "node-1" }, { name: "b", node: "node-2" }]);
 * if (r.ok) console.log(r.value.world.pods.length);
 * ```
 */
export function createPods(
  world: World,
  specs: readonly PodSpec[],
  options: CreateOptions = {},
): Result<PodChange, PodError> {
  const batch = new SandboxBatch(world);
  const pods: Pod[] = [];
  const names = new Set<string>();
  const events: PodEvent[] | undefined = options.events === false ? undefined : [];
  for (const spec of specs) {
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(spec.name)) {
      return fail(spec.name, 'A pod name is lower-case letters, digits and "-"');
    }
    if (podNamed(world, spec.name) || names.has(spec.name)) {
      return fail(spec.name, `A pod called "${spec.name}" exists`);
    }
    const node = nodeNamed(world, spec.node);
    if (!node) return fail(spec.node, `No node called "${spec.node}"`);
    const containers = podContainers(spec);
    if (!containers.some((c) => !c.pause)) {
      return fail(spec.name, "A pod needs at least one app container");
    }
    const made = batch.add(spec.name, node, undefined, spec.ip, events);
    if (!made.ok) return made;
    names.add(spec.name);
    pods.push({ name: spec.name, node: node.name, containers, namespace: made.value });
    for (const c of containers) {
      if (!c.pause) events?.push({ kind: "container-started", container: c.name });
    }
  }
  return ok({
    world: batch.finish({ ...world, pods: [...world.pods, ...pods] }),
    events: events ?? [],
  });
}

/** How {@linkcode createPods} works. */
export interface CreateOptions {
  /** False: make no events (default true). */
  readonly events?: boolean;
}

/** The pause container every sandbox starts with (world values are never changed in place). */
const PAUSE: Container = { name: "pause", pause: true, state: "running", restarts: 0, ports: [] };

/** Each app container spec's running container, made once and shared by the pods that name it. */
const running = new WeakMap<ContainerSpec, Container>();
/** The running containers of a list of specs (pause first), shared by the pods given the same list. */
const runningLists = new WeakMap<readonly ContainerSpec[], readonly Container[]>();
const runningListsNoPause = new WeakMap<readonly ContainerSpec[], readonly Container[]>();

function podContainers(spec: PodSpec): readonly Container[] {
  const apps = spec.containers ?? DEFAULT_APPS;
  const lists = spec.pause === false ? runningListsNoPause : runningLists;
  const known = lists.get(apps);
  if (known !== undefined) return known;
  const containers = apps.map((c) => {
    let made = running.get(c);
    if (made === undefined) {
      made = { name: c.name, pause: false, state: "running", restarts: 0, ports: c.ports ?? [] };
      running.set(c, made);
    }
    return made;
  });
  const list = spec.pause === false ? containers : [PAUSE, ...containers];
  lists.set(apps, list);
  return list;
}

const DEFAULT_APPS: readonly ContainerSpec[] = [
  { name: "app", ports: [{ port: 8080, protocol: "tcp" }] },
];

/**
 * How a pod's veth is attached on its node, the strategy a node's
 * configuration picks: to the node's bridge (flannel's `bridge` CNI plugin:
 * the pod's subnet on `eth0`, default route via the bridge's address), or
 * routed (Calico: no bridge, the pod's `/32` on `eth0`, default route via
 * `169.254.1.1` that the node answers by proxy ARP on the `cali…` veth, a
 * `/32` route per pod on the node).
 */
interface Attachment {
  /** The pod's address with its prefix length on `eth0`. */
  readonly address: Prefix;
  /** The pod's own routes (besides the connected ones). */
  readonly podRoutes: readonly Route[];
  /** The host end's MAC and bridge. */
  readonly hostEnd: (host: string) => { readonly mac: Mac; readonly master?: string };
  /** Routes the node gains towards the pod through the host end. */
  readonly nodeRoutes: (host: string) => readonly Route[];
  /** Whether the host end answers ARP by proxy (`proxy_arp=1`). */
  readonly proxyArp: boolean;
  /** How the host veth's name begins. */
  readonly vethPrefix: "veth" | "cali";
}

const NO_ROUTES: readonly Route[] = [];

/** Calico's gateway for every pod: link-local, owned by nobody, answered by proxy ARP. */
export const CALICO_GATEWAY: Addr = Addr.mustParse("169.254.1.1");

/** The MAC Calico gives every `cali…` veth. */
export const CALICO_VETH_MAC: Mac = Mac.mustParse("ee:ee:ee:ee:ee:ee");

const staticRoute = (dst: Prefix, rest: Partial<Route>): Route => ({
  type: "unicast",
  dst,
  onlink: false,
  metric: 0,
  proto: "static",
  scope: "global",
  ...rest,
});

/**
 * How pods attach to a node's bridge: found once per node (the bridge's
 * address in the pod CIDR is every pod's gateway, and the default route to
 * it is one route all the node's pods share), then one attachment per pod.
 */
function bridgeAttacher(
  node: Node,
  bridgeName: string,
  nodeNs: Namespace,
): Result<(ip: Addr) => Attachment, PodError> {
  const bridge = nodeNs.devices.find((d) => d.name === bridgeName)!;
  const gateway = bridge.addresses.find((a) => node.podCidr.contains(a.addr))?.addr;
  if (gateway === undefined) {
    return fail(node.name, `Bridge ${bridgeName} has no address in ${node.podCidr}`);
  }
  // The bridge plugin's default route, and a route per IPAM route (flannel's cluster network).
  const podRoutes = [
    staticRoute(DEFAULT_ROUTE, { via: gateway, dev: "eth0" }),
    ...(node.network ? [staticRoute(node.network, { via: gateway, dev: "eth0" })] : []),
  ].sort(compareRoutes);
  const hostEnd = (host: string) => ({ mac: defaultMac(node.namespace, host), master: bridgeName });
  const nodeRoutes = () => NO_ROUTES;
  return ok((ip) => ({
    address: Prefix.of(ip, node.podCidr.bits),
    podRoutes,
    hostEnd,
    nodeRoutes,
    proxyArp: false,
    vethPrefix: "veth",
  }));
}

function routedAttachment(ip: Addr): Attachment {
  const gateway = Prefix.of(CALICO_GATEWAY, 32);
  return {
    address: Prefix.of(ip, 32),
    podRoutes: [
      staticRoute(gateway, { dev: "eth0", scope: "link" }),
      staticRoute(DEFAULT_ROUTE, { via: CALICO_GATEWAY, dev: "eth0" }),
    ],
    hostEnd: () => ({ mac: CALICO_VETH_MAC }),
    nodeRoutes: (host) => [staticRoute(Prefix.of(ip, 32), { dev: host, scope: "link" })],
    proxyArp: true,
    vethPrefix: "cali",
  };
}

/** Creates the namespace, IP and veth pair of a pod that has none. */
function createSandbox(
  world: World,
  pod: Pod,
  node: Node,
  previous?: string,
): Result<PodChange, PodError> {
  const batch = new SandboxBatch(world);
  const events: PodEvent[] = [];
  const made = batch.add(pod.name, node, previous, undefined, events);
  if (!made.ok) return made;
  return ok({ world: batch.finish(world), events });
}

/** What a node gains from one sandbox: the host end, routes to the pod, proxy ARP. */
interface HostSide {
  readonly hostEnd: Device;
  readonly routes: readonly Route[];
  readonly proxyArp: boolean;
}

/** What one node's sandboxes change on the node: IPAM state and host veths. */
interface NodeWork {
  lastReserved?: Addr;
  /** How the node's pods attach to its bridge (found on its first sandbox). */
  attach?: Result<(ip: Addr) => Attachment, PodError>;
  readonly taken: Set<number>;
  readonly hostNames: Set<string>;
  readonly added: HostSide[];
}

/**
 * Sandboxes made one after another against one world, as the kubelet makes
 * them: each sees the addresses, namespaces and veth names the ones before
 * took. `finish` writes them all into the world at once.
 */
class SandboxBatch {
  readonly #world: World;
  readonly #nodes = new Map<string, NodeWork>();
  readonly #namespaces = new Set<string>();
  readonly #podNamespaces: Namespace[] = [];
  readonly #sandboxOf = new Map<string, string>();
  #podIps?: Map<string, Set<number>>;

  constructor(world: World) {
    this.#world = world;
  }

  /** Makes pod `pod`'s sandbox; its events go to `events` when given. Returns the namespace's name. */
  add(
    pod: string,
    node: Node,
    previous?: string,
    assigned?: Addr,
    events?: PodEvent[],
  ): Result<string, PodError> {
    const work = this.#work(node);
    const ip = assigned ?? this.nextIp(node);
    if (ip === undefined) return fail(node.name, `No free address in ${node.podCidr}`);
    const nodeNs = namespaceNamed(this.#world, node.namespace)!;
    const attach = node.bridge === undefined
      ? ok(routedAttachment)
      : (work.attach ??= bridgeAttacher(node, node.bridge, nodeNs));
    if (!attach.ok) return attach;
    const how = attach.value(ip);
    const nsName = this.#freshNamespace(`pod-${pod}`, previous);
    const host = freshVethName(work.hostNames, nsName, how.vethPrefix);
    const parts = sandboxParts(nsName, host, how, node);
    work.taken.add(ip.value);
    work.lastReserved = ip;
    work.hostNames.add(host);
    work.added.push({
      hostEnd: parts.hostEnd,
      routes: how.nodeRoutes(host),
      proxyArp: how.proxyArp,
    });
    this.#namespaces.add(nsName);
    this.#podNamespaces.push(parts.podNs);
    this.#sandboxOf.set(pod, nsName);
    events?.push(
      { kind: "namespace-created", namespace: nsName },
      { kind: "ip-allocated", ip, node: node.name },
      {
        kind: "veth-created",
        pod,
        host,
        ...(node.bridge === undefined ? {} : { bridge: node.bridge }),
      },
    );
    return ok(nsName);
  }

  /** The address host-local hands out next on `node`, after the sandboxes made so far. */
  nextIp(node: Node): Addr | undefined {
    const work = this.#work(node);
    return nextFree(node.podCidr, work.taken, work.lastReserved);
  }

  /** The world with every sandbox made so far; `world` is the batch's world with any pods added. */
  finish(world: World): World {
    const byNs = new Map<string, NodeWork>();
    for (const [name, work] of this.#nodes) {
      if (work.added.length > 0) byNs.set(nodeNamed(world, name)!.namespace, work);
    }
    return {
      ...world,
      namespaces: [
        ...world.namespaces.map((n) => {
          const work = byNs.get(n.name);
          return work ? attachAll(n, work.added) : n;
        }),
        ...this.#podNamespaces,
      ],
      nodes: world.nodes.map((n) => {
        const work = this.#nodes.get(n.name);
        return work?.lastReserved && work.added.length > 0
          ? { ...n, lastReserved: work.lastReserved }
          : n;
      }),
      pods: world.pods.map((p) => {
        const ns = this.#sandboxOf.get(p.name);
        return ns === undefined || p.namespace === ns ? p : { ...p, namespace: ns };
      }),
    };
  }

  #work(node: Node): NodeWork {
    let work = this.#nodes.get(node.name);
    if (work !== undefined) return work;
    const nodeNs = namespaceNamed(this.#world, node.namespace);
    const taken = new Set(this.#podIpsOn(node.name));
    for (const d of nodeNs?.devices ?? []) for (const a of d.addresses) taken.add(a.addr.value);
    work = {
      lastReserved: node.lastReserved,
      taken,
      hostNames: new Set(nodeNs?.devices.map((d) => d.name)),
      added: [],
    };
    this.#nodes.set(node.name, work);
    return work;
  }

  /** The addresses of the world's pods on a node, gathered for every node in one pass. */
  #podIpsOn(node: string): Set<number> {
    if (this.#podIps === undefined) {
      this.#podIps = new Map();
      for (const p of this.#world.pods) {
        const ip = podIp(this.#world, p);
        if (ip === undefined) continue;
        let set = this.#podIps.get(p.node);
        if (set === undefined) this.#podIps.set(p.node, set = new Set());
        set.add(ip.value);
      }
    }
    return this.#podIps.get(node) ?? new Set();
  }

  /** A namespace name not in use, and not the one a pod just lost (a new sandbox is a new namespace). */
  #freshNamespace(base: string, previous?: string): string {
    const free = (name: string) =>
      name !== previous && !namespaceNamed(this.#world, name) && !this.#namespaces.has(name);
    if (free(base)) return base;
    for (let i = 2;; i++) if (free(`${base}-${i}`)) return `${base}-${i}`;
  }
}

/** A node's namespace with host ends attached: devices, routes sorted once, proxy ARP. */
function attachAll(ns: Namespace, added: readonly HostSide[]): Namespace {
  const routes = added.flatMap((a) => a.routes);
  const proxyArp = added.filter((a) => a.proxyArp).map((a) => a.hostEnd.name);
  return {
    ...ns,
    devices: [...ns.devices, ...added.map((a) => a.hostEnd)],
    ...(routes.length > 0 ? { routes: [...ns.routes, ...routes].sort(compareRoutes) } : {}),
    ...(proxyArp.length > 0
      ? { sysctl: { ...ns.sysctl, proxyArp: [...ns.sysctl.proxyArp ?? [], ...proxyArp] } }
      : {}),
  };
}

/** What every new sandbox has: no neighbours, no forwarding, TTL 64, no rules (shared: world values are never changed in place). */
const NO_NEIGHBOURS: Namespace["neighbours"] = [];
const SANDBOX_SYSCTL: Namespace["sysctl"] = { ipForward: false, defaultTtl: 64 };
const SANDBOX_NETFILTER: Namespace["netfilter"] = { rules: [], forwardPolicy: "ACCEPT" };

/** A host end's addresses: none. */
const NO_ADDRESSES: readonly Prefix[] = [];

/** `lo`'s address in every sandbox. */
const LOOPBACK_ADDRESSES: readonly Prefix[] = [Prefix.mustParse("127.0.0.1/8")];

/** A pod's namespace (`lo`, `eth0`, connected and pod routes) and the host end of its veth. */
function sandboxParts(
  nsName: string,
  host: string,
  how: Attachment,
  node: Node,
): { podNs: Namespace; hostEnd: Device } {
  const eth0: Device = {
    kind: "veth",
    name: "eth0",
    namespace: nsName,
    up: true,
    mtu: node.podMtu,
    mac: defaultMac(nsName, "eth0"),
    addresses: [how.address],
    peer: { namespace: node.namespace, device: host },
  };
  const end = how.hostEnd(host);
  const hostEnd: Device = {
    kind: "veth",
    name: host,
    namespace: node.namespace,
    up: true,
    mtu: node.podMtu,
    addresses: NO_ADDRESSES,
    mac: end.mac,
    ...(end.master === undefined ? {} : { master: end.master }),
    peer: { namespace: nsName, device: "eth0" },
  };
  const lo: Device = {
    kind: "loopback",
    name: "lo",
    namespace: nsName,
    up: true,
    mtu: 65536,
    mac: Mac.zero,
    addresses: LOOPBACK_ADDRESSES,
  };
  const devices = [lo, eth0];
  // `lo` makes no connected route (its prefix is all local); `eth0` one, unless a /32.
  const connected = connectedRouteFor(eth0, how.address);
  const routes = [...(connected ? [connected] : []), ...how.podRoutes].sort(compareRoutes);
  const podNs: Namespace = {
    name: nsName,
    role: "pod",
    devices,
    routes,
    neighbours: NO_NEIGHBOURS,
    sysctl: SANDBOX_SYSCTL,
    netfilter: SANDBOX_NETFILTER,
  };
  return { podNs, hostEnd };
}

/** Removes a pod's namespace and host veth; frees its IP. */
function destroySandbox(world: World, pod: Pod): PodChange {
  if (pod.namespace === undefined) return { world, events: [] };
  const ip = podIp(world, pod);
  const node = nodeNamed(world, pod.node)!;
  const podNs = namespaceNamed(world, pod.namespace)!;
  const eth0 = podNs.devices.find((d) => d.kind === "veth");
  const host = eth0?.kind === "veth" && eth0.peer.namespace === node.namespace
    ? eth0.peer.device
    : undefined;
  const next: World = {
    ...world,
    namespaces: world.namespaces
      .filter((n) => n.name !== pod.namespace)
      .map((n) => (n.name === node.namespace && host ? withoutPort(n, host) : n)),
    pods: world.pods.map((p) => (p.name === pod.name ? { ...p, namespace: undefined } : p)),
  };
  const events: PodEvent[] = [{ kind: "namespace-destroyed", namespace: pod.namespace }];
  if (host) events.push({ kind: "veth-deleted", host });
  if (ip) events.push({ kind: "ip-freed", ip, node: node.name });
  return { world: next, events };
}

/** The node without a pod's host veth: its bridge FDB entries, routes and proxy_arp go with it. */
function withoutPort(ns: Namespace, port: string): Namespace {
  const proxyArp = ns.sysctl.proxyArp?.filter((d) => d !== port);
  return {
    ...ns,
    devices: ns.devices
      .filter((d) => d.name !== port)
      .map((d) => (d.kind === "bridge" ? { ...d, fdb: d.fdb.filter((e) => e.port !== port) } : d)),
    routes: ns.routes.filter((r) => r.dev !== port),
    neighbours: ns.neighbours.filter((n) => n.dev !== port),
    sysctl: {
      ipForward: ns.sysctl.ipForward,
      defaultTtl: ns.sysctl.defaultTtl,
      ...(proxyArp?.length ? { proxyArp } : {}),
    },
  };
}

/**
 * The next address host-local IPAM hands out on a node: round-robin after
 * the last one reserved, skipping the network and broadcast addresses, the
 * bridge's own addresses and addresses of the node's pods.
 *
 * @param world The world.
 * @param node The node.
 * @returns A free address, or `undefined` when the range is full.
 */
export function allocateIp(world: World, node: Node): Addr | undefined {
  return new SandboxBatch(world).nextIp(node);
}

/** host-local's round-robin: the first address after `last` (wrapping) not in `taken`. */
function nextFree(cidr: Prefix, taken: ReadonlySet<number>, last?: Addr): Addr | undefined {
  const first = cidr.first.value + 1;
  const count = cidr.last.value - 1 - first + 1;
  const start = last ? last.value + 1 : first;
  for (let i = 0; i < count; i++) {
    const v = first + ((start - first + i) % count + count) % count;
    if (!taken.has(v)) return cidr.first.add(v - cidr.first.value);
  }
  return undefined;
}

function freshVethName(
  taken: ReadonlySet<string>,
  podNs: string,
  prefix: "veth" | "cali",
): string {
  for (let salt = 0;; salt++) {
    const name = hostVethName(podNs, salt, prefix);
    if (!taken.has(name)) return name;
  }
}

/**
 * Deletes a pod: its containers stop, its namespace is destroyed and its IP
 * freed.
 *
 * @param world The world.
 * @param name The pod.
 * @returns The new world and events, or why not.
 */
export function deletePod(world: World, name: string): Result<PodChange, PodError> {
  const pod = podNamed(world, name);
  if (!pod) return fail(name, `No pod called "${name}"`);
  const gone = destroySandbox(world, pod);
  const exited = pod.containers.filter((c) => c.state === "running").map((c) =>
    ({ kind: "container-exited", container: c.name }) as const
  );
  return ok({
    world: { ...gone.world, pods: gone.world.pods.filter((p) => p.name !== name) },
    events: [...exited, ...gone.events, { kind: "pod-deleted", pod: name }],
  });
}

function findContainer(world: World, ref: string): Result<[Pod, Container], PodError> {
  const [podName, containerName] = ref.split("/");
  const pod = podNamed(world, podName);
  if (!pod) return fail(ref, `No pod called "${podName}"`);
  const c = pod.containers.find((x) => x.name === containerName);
  if (!c) {
    return fail(
      ref,
      `Pod "${podName}" has no container "${containerName ?? ""}" (write pod/container)`,
    );
  }
  return ok([pod, c]);
}

/** The container that holds the pod's namespace: pause, or the first app container without one. */
export function holderOf(pod: Pod): Container {
  return pod.containers.find((c) => c.pause) ?? pod.containers[0];
}

function withContainer(world: World, pod: Pod, c: Container): World {
  return {
    ...world,
    pods: world.pods.map((
      p,
    ) => (p.name === pod.name
      ? { ...p, containers: p.containers.map((x) => (x.name === c.name ? c : x)) }
      : p)
    ),
  };
}

/**
 * Restarts a container. An app container restarts inside the same
 * namespace and keeps the pod's IP. Restarting the container that holds the
 * namespace (the pause container, or in a pod without one, the first app
 * container) loses the sandbox: see {@linkcode killPause}.
 *
 * @param world The world.
 * @param ref `pod/container`.
 * @returns The new world and events, or why not.
 * @example
 * ```ts
 * import { restartContainer } from "./lifecycle.js";
 * declare const world: import("../model/world.js").World;
 * restartContainer(world, "a/app"); // same namespace, same IP
 * ```
 */
export function restartContainer(world: World, ref: string): Result<PodChange, PodError> {
  const found = findContainer(world, ref);
  if (!found.ok) return found;
  const [pod, c] = found.value;
  if (c === holderOf(pod)) return recreateSandbox(world, pod);
  const restarted = { ...c, state: "running" as const, restarts: c.restarts + 1 };
  return ok({
    world: withContainer(world, pod, restarted),
    events: [{ kind: "container-restarted", container: c.name, restarts: restarted.restarts }],
  });
}

/**
 * Kills a container so it stays exited (it listens on nothing). Killing the
 * holder of the namespace destroys the namespace.
 *
 * @param world The world.
 * @param ref `pod/container`.
 * @returns The new world and events, or why not.
 */
export function stopContainer(world: World, ref: string): Result<PodChange, PodError> {
  const found = findContainer(world, ref);
  if (!found.ok) return found;
  const [pod, c] = found.value;
  if (c.state === "exited") return fail(ref, "Container is not running");
  const stopped = withContainer(world, pod, { ...c, state: "exited" });
  const events: PodEvent[] = [{ kind: "container-exited", container: c.name }];
  if (c !== holderOf(pod)) return ok({ world: stopped, events });
  const gone = destroySandbox(stopped, podNamed(stopped, pod.name)!);
  return ok({ world: gone.world, events: [...events, ...gone.events] });
}

/**
 * Starts an exited container; starting the holder of a pod without a
 * sandbox creates a new one (new namespace, next free IP).
 *
 * @param world The world.
 * @param ref `pod/container`.
 * @returns The new world and events, or why not.
 */
export function startContainer(world: World, ref: string): Result<PodChange, PodError> {
  const found = findContainer(world, ref);
  if (!found.ok) return found;
  const [pod, c] = found.value;
  if (c.state === "running") return fail(ref, "Container is already running");
  const started = withContainer(world, pod, { ...c, state: "running", restarts: c.restarts + 1 });
  const events: PodEvent[] = [{ kind: "container-started", container: c.name }];
  if (pod.namespace !== undefined) return ok({ world: started, events });
  const node = nodeNamed(started, pod.node)!;
  const sandbox = createSandbox(started, podNamed(started, pod.name)!, node);
  if (!sandbox.ok) return sandbox;
  return ok({ world: sandbox.value.world, events: [...sandbox.value.events, ...events] });
}

/**
 * Kills the pause container. The namespace dies with it and the IP is
 * freed; the kubelet then builds a new sandbox (a new namespace and the next
 * free IP) and restarts the app containers in it — so the pod's IP changes.
 *
 * @param world The world.
 * @param name The pod.
 * @returns The new world and events, or why not.
 */
export function killPause(world: World, name: string): Result<PodChange, PodError> {
  const pod = podNamed(world, name);
  if (!pod) return fail(name, `No pod called "${name}"`);
  if (!pod.containers.some((c) => c.pause)) return fail(name, "This pod has no pause container");
  return recreateSandbox(world, pod);
}

function recreateSandbox(world: World, pod: Pod): Result<PodChange, PodError> {
  const gone = destroySandbox(world, pod);
  const node = nodeNamed(gone.world, pod.node)!;
  const sandbox = createSandbox(gone.world, podNamed(gone.world, pod.name)!, node, pod.namespace);
  if (!sandbox.ok) return sandbox;
  let next = sandbox.value.world;
  const events: PodEvent[] = [...gone.events, ...sandbox.value.events];
  for (const c of pod.containers) {
    if (c.state !== "running") continue;
    const current = podNamed(next, pod.name)!;
    next = withContainer(next, current, { ...c, restarts: c.restarts + 1 });
    events.push({ kind: "container-restarted", container: c.name, restarts: c.restarts + 1 });
  }
  return ok({ world: next, events });
}
