/**
 * Read-only questions about a world, answered from indexes that are built
 * once per world (worlds never change, so the indexes never go stale).
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import type {
  Bridge,
  Device,
  DeviceRef,
  Namespace,
  Nic,
  Node,
  Pod,
  World,
} from "../model/world.js";

interface Index {
  readonly namespaces: ReadonlyMap<string, Namespace>;
  readonly devices: ReadonlyMap<string, Device>;
  /** Devices by namespace, then name (no string building on the hot path). */
  readonly byNamespace: ReadonlyMap<string, ReadonlyMap<string, Device>>;
  readonly pods: ReadonlyMap<string, Pod>;
  readonly podOfNamespace: ReadonlyMap<string, Pod>;
  readonly nodes: ReadonlyMap<string, Node>;
  readonly nodeOfNamespace: ReadonlyMap<string, Node>;
  readonly ports: ReadonlyMap<string, readonly Device[]>;
  readonly segmentMembers: ReadonlyMap<string, readonly Nic[]>;
  /** NICs by segment, then MAC (unicast frames on a segment go by MAC). */
  readonly segmentMacs: ReadonlyMap<string, ReadonlyMap<Mac, readonly Nic[]>>;
}

const cache = new WeakMap<World, Index>();

function key(namespace: string, device: string): string {
  return `${namespace}/${device}`;
}

function build(world: World): Index {
  const devices = new Map<string, Device>();
  const byNamespace = new Map<string, Map<string, Device>>();
  const ports = new Map<string, Device[]>();
  const segmentMembers = new Map<string, Nic[]>();
  const segmentMacs = new Map<string, Map<Mac, Nic[]>>();
  for (const ns of world.namespaces) {
    const own = new Map<string, Device>();
    byNamespace.set(ns.name, own);
    for (const d of ns.devices) {
      devices.set(key(ns.name, d.name), d);
      own.set(d.name, d);
      if (d.master) push(ports, key(ns.name, d.master), d);
      if (d.kind === "nic") {
        push(segmentMembers, d.segment, d);
        let macs = segmentMacs.get(d.segment);
        if (macs === undefined) segmentMacs.set(d.segment, macs = new Map());
        push(macs, d.mac, d);
      }
    }
  }
  const pods = new Map(world.pods.map((p) => [p.name, p]));
  const podOfNamespace = new Map<string, Pod>();
  for (const p of world.pods) if (p.namespace) podOfNamespace.set(p.namespace, p);
  return {
    namespaces: new Map(world.namespaces.map((n) => [n.name, n])),
    devices,
    byNamespace,
    pods,
    podOfNamespace,
    nodes: new Map(world.nodes.map((n) => [n.name, n])),
    nodeOfNamespace: new Map(world.nodes.map((n) => [n.namespace, n])),
    ports,
    segmentMembers,
    segmentMacs,
  };
}

function push<K, V>(map: Map<K, V[]>, k: K, v: V) {
  const list = map.get(k);
  if (list) list.push(v);
  else map.set(k, [v]);
}

function index(world: World): Index {
  let ix = cache.get(world);
  if (ix === undefined) {
    ix = build(world);
    cache.set(world, ix);
  }
  return ix;
}

/** The namespace called `name`. */
export function namespaceNamed(world: World, name: string): Namespace | undefined {
  return index(world).namespaces.get(name);
}

/** The device `ref` points at. */
export function deviceAt(world: World, ref: DeviceRef): Device | undefined {
  return index(world).byNamespace.get(ref.namespace)?.get(ref.device);
}

/** The pod called `name`. */
export function podNamed(world: World, name: string): Pod | undefined {
  return index(world).pods.get(name);
}

/** The pod whose sandbox is namespace `ns`. */
export function podOfNamespace(world: World, ns: string): Pod | undefined {
  return index(world).podOfNamespace.get(ns);
}

/** The node called `name`. */
export function nodeNamed(world: World, name: string): Node | undefined {
  return index(world).nodes.get(name);
}

/** The node whose root namespace is `ns`. */
export function nodeOfNamespace(world: World, ns: string): Node | undefined {
  return index(world).nodeOfNamespace.get(ns);
}

/** The ports of bridge `bridge` in namespace `ns`, in device order. */
export function bridgePorts(world: World, ns: string, bridge: string): readonly Device[] {
  return index(world).ports.get(key(ns, bridge)) ?? [];
}

/** The NICs attached to underlay segment `segment`. */
export function segmentMembers(world: World, segment: string): readonly Nic[] {
  return index(world).segmentMembers.get(segment) ?? [];
}

/**
 * The NICs on segment `segment` whose MAC is `mac`, in segment order.
 *
 * @param world The world.
 * @param segment The underlay segment's name.
 * @param mac The destination MAC of a unicast frame.
 * @returns The NICs that take the frame (usually one).
 */
export function segmentNicsWithMac(world: World, segment: string, mac: Mac): readonly Nic[] {
  return index(world).segmentMacs.get(segment)?.get(mac) ?? [];
}

/**
 * The pod's IP: the first address of `eth0` in its namespace (or of the
 * first device that is not a loopback).
 *
 * @param world The world.
 * @param pod The pod.
 * @returns The address, or `undefined` when the pod has no sandbox.
 */
export function podIp(world: World, pod: Pod): Addr | undefined {
  if (pod.namespace === undefined) return undefined;
  const ns = namespaceNamed(world, pod.namespace);
  if (ns === undefined) return undefined;
  const eth0 = ns.devices.find((d) => d.name === "eth0" && d.addresses.length > 0) ??
    ns.devices.find((d) => d.kind !== "loopback" && d.addresses.length > 0);
  return eth0?.addresses[0].addr;
}

/** The pods whose IP is `addr` (more than one means an address conflict). */
export function podsWithIp(world: World, addr: Addr): Pod[] {
  return world.pods.filter((p) => podIp(world, p) === addr);
}

/** The bridge device a port belongs to. */
export function masterOf(world: World, dev: Device): Bridge | undefined {
  if (dev.master === undefined) return undefined;
  const m = deviceAt(world, { namespace: dev.namespace, device: dev.master });
  return m?.kind === "bridge" ? m : undefined;
}

/** Devices in the world whose MAC is `mac`. */
export function devicesWithMac(world: World, mac: Mac): Device[] {
  const out: Device[] = [];
  for (const d of index(world).devices.values()) if (d.mac === mac) out.push(d);
  return out;
}

/** `namespace/device`, the way the kernel's traces name a device. */
export function refOf(dev: Device): DeviceRef {
  return { namespace: dev.namespace, device: dev.name };
}
