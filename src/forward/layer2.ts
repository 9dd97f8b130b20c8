/**
 * Where a frame can go at layer 2: across veth pairs, through bridges
 * (forwarding database, then flooding to every port but the incoming one),
 * over underlay segments and through VXLAN tunnels. Used to answer ARP
 * requests and to find which copy of a flooded frame reaches its owner.
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import {
  bridgePorts,
  deviceAt,
  masterOf,
  segmentMembers,
  segmentNicsWithMac,
} from "../world/query.js";
import type { Bridge, Device, Nic, Vxlan, World } from "../model/world.js";

/** The remote VXLAN devices a tunnel device reaches for a destination MAC. */
export type TunnelReach = (dev: Vxlan, dst: Mac | "broadcast") => readonly Device[];

/** A bridge port a frame left by on its way. */
export interface BridgeHop {
  readonly bridge: Bridge;
  readonly port: string;
}

/** A device that would take a frame up to its IP stack. */
export interface Endpoint {
  /** The receiving device (a bridge when the frame went up through it). */
  readonly dev: Device;
  /** The bridges the frame crossed and the ports it left them by. */
  readonly path: readonly BridgeHop[];
}

/**
 * The remote VTEP addresses a VXLAN device sends a frame for `dst` to: the
 * FDB entry for that MAC, else every `00:00:00:00:00:00` entry.
 *
 * @param dev The VXLAN device.
 * @param dst The inner destination MAC (or broadcast).
 * @returns The remotes and whether they came from the default entries.
 */
export function vxlanRemotes(dev: Vxlan, dst: Mac | "broadcast") {
  const exact = dst === "broadcast" ? [] : dev.fdb.filter((e) => e.mac === dst);
  if (exact.length > 0) return { remotes: exact.map((e) => e.dst), viaDefault: false };
  return { remotes: dev.fdb.filter((e) => e.mac.value === 0).map((e) => e.dst), viaDefault: true };
}

/** Why a VXLAN device drops a decapsulated frame, if it does (see {@linkcode vxlanRefuses}). */
export type VxlanRefusal = "own-mac" | "fdb-conflict";

/**
 * Whether a VXLAN device drops a frame it decapsulated (`vxlan_rcv`): a
 * frame whose inner source MAC is the device's own (two VTEPs with the same
 * MAC), and, with learning on, a frame from a MAC its FDB pins to another
 * remote (`vxlan_snoop` refuses to move a permanent entry and the frame is
 * dropped). Written over plain values so the tracer (`Mac`/`Addr`) and the
 * verifier (numbers) share it.
 *
 * @param dev The receiving device: its MAC and whether it learns.
 * @param srcMac The inner frame's source MAC.
 * @param entryDst The remote of the device's FDB entry for `srcMac`, if any.
 * @param outerSrc The outer packet's source address.
 * @returns Why the frame is dropped, or undefined when it goes up.
 * @example
 * ```ts
 * import { vxlanRefuses } from "./layer2.js";
 * vxlanRefuses({ mac: 1, learning: true }, 2, 10, 11); // "fdb-conflict"
 * vxlanRefuses({ mac: 1, learning: false }, 1, undefined, 11); // "own-mac"
 * ```
 */
export function vxlanRefuses<M, A>(
  dev: { readonly mac: M; readonly learning: boolean },
  srcMac: M,
  entryDst: A | undefined,
  outerSrc: A,
): VxlanRefusal | undefined {
  if (srcMac === dev.mac) return "own-mac";
  if (dev.learning && entryDst !== undefined && entryDst !== outerSrc) return "fdb-conflict";
  return undefined;
}

/**
 * Where a VXLAN device sends its answer to a frame from `mac` that came
 * from the VTEP at `outerSrc`: its FDB entry for `mac`; else, learning on,
 * the VTEP it just learned; else its default entries. An ARP request
 * answered behind the device is only answered when this leads back.
 *
 * @param dev The device that took the request.
 * @param mac The asker's inner source MAC.
 * @param outerSrc The outer source address of the request.
 * @returns The remotes the answer is sent to.
 */
export function vxlanReplyRemotes(dev: Vxlan, mac: Mac, outerSrc: Addr): readonly Addr[] {
  const exact = dev.fdb.filter((e) => e.mac === mac);
  if (exact.length > 0) return exact.map((e) => e.dst);
  if (dev.learning) return [outerSrc];
  return vxlanRemotes(dev, mac).remotes;
}

/**
 * Whether a bridge takes a frame for `dst` up to its own IP stack: the
 * bridge's MAC or a port's MAC (the local FDB entries `bridge fdb` shows as
 * permanent).
 */
export function bridgeOwnsMac(world: World, bridge: Bridge, dst: Mac): boolean {
  return bridge.mac === dst ||
    bridgePorts(world, bridge.namespace, bridge.name).some((p) => p.mac === dst);
}

/**
 * Every device that takes a frame sent out of `from` up to its IP stack, in
 * the order the frame reaches them. Broadcast frames reach every host on the
 * segment; unicast frames reach the devices whose MAC matches.
 *
 * @param world The world.
 * @param from The device the frame leaves by.
 * @param dst The destination MAC, or "broadcast".
 * @param tunnel Resolves VXLAN crossings.
 * @returns The receiving devices.
 */
export function reach(
  world: World,
  from: Device,
  dst: Mac | "broadcast",
  tunnel: TunnelReach,
): Endpoint[] {
  const found: Endpoint[] = [];
  // A world holds one object per device, so the objects themselves are the keys.
  const seenOut = new Set<Device>();
  const seenIn = new Set<Device>();
  const queue: { dev: Device; dir: "out" | "in"; path: readonly BridgeHop[] }[] = [];
  const push = (dev: Device, dir: "out" | "in", path: readonly BridgeHop[]) => {
    const seen = dir === "out" ? seenOut : seenIn;
    if (!seen.has(dev)) {
      seen.add(dev);
      queue.push({ dev, dir, path });
    }
  };
  push(from, "out", []);
  const accepts = (dev: Device) => dst === "broadcast" || dev.mac === dst;
  for (let i = 0; i < queue.length; i++) {
    const { dev, dir, path } = queue[i];
    if (!dev.up) continue;
    if (dir === "out") {
      for (const next of departures(world, dev, dst, tunnel)) {
        push(next.dev, "in", [...path, ...next.path]);
      }
      continue;
    }
    const bridge = masterOf(world, dev);
    if (bridge === undefined) {
      if (accepts(dev)) found.push({ dev, path });
      continue;
    }
    if (!bridge.up) continue;
    const local = dst !== "broadcast" && bridgeOwnsMac(world, bridge, dst);
    if (dst === "broadcast" || local) found.push({ dev: bridge, path });
    if (local) continue;
    for (const port of bridgeOutPorts(world, bridge, dev.name, dst)) {
      push(port, "out", [...path, { bridge, port: port.name }]);
    }
  }
  return found;
}

/** Where a frame leaving `dev` arrives next (before the receiving side's rules). */
function departures(
  world: World,
  dev: Device,
  dst: Mac | "broadcast",
  tunnel: TunnelReach,
): readonly { dev: Device; path: readonly BridgeHop[] }[] {
  const direct = (devices: readonly Device[]) => devices.map((d) => ({ dev: d, path: [] }));
  // A switch, not ts-pattern: this runs for every step of every ARP flood.
  switch (dev.kind) {
    case "veth": {
      const peer = deviceAt(world, dev.peer);
      return peer === undefined ? [] : [{ dev: peer, path: [] }];
    }
    case "nic":
      return direct(segmentReceivers(world, dev, dst));
    case "bridge":
      return bridgeOutPorts(world, dev, undefined, dst).flatMap((p) =>
        departures(world, p, dst, tunnel).map((x) => ({
          dev: x.dev,
          path: [{ bridge: dev, port: p.name }, ...x.path],
        }))
      );
    case "vxlan":
      return direct(tunnel(dev, dst));
    case "loopback":
    case "ipip":
      // No link layer: an IP-in-IP device carries no frames (and no ARP).
      return [];
    default:
      return unreachable(dev);
  }
}

/**
 * The NICs an underlay segment hands a frame from `from` to. The segment is
 * a learning switch: a broadcast, or a unicast frame for a MAC no NIC on it
 * has (one behind a NIC that is a bridge port: flat layer 2, pods on the
 * underlay's subnet), is flooded to every other member; a known MAC goes
 * to its NIC. A flooded frame is taken only by a NIC that is a bridge port
 * (the bridge makes it promiscuous) or whose MAC it is.
 *
 * @param world The world.
 * @param from The sending NIC.
 * @param dst The destination MAC, or "broadcast".
 * @returns The receiving NICs, in segment order.
 * @example
 * ```ts
 * import { buildWorld, unwrap } from "../mod.js";
 * import { segmentReceivers } from "./layer2.js";
 * const w = unwrap(buildWorld({ mode: "host-gw" }), (e) => e.message);
 * const eth0 = w.namespaces[0].devices.find((d) => d.kind === "nic")!;
 * if (eth0.kind === "nic") segmentReceivers(w, eth0, "broadcast").length; // 1: node-2's eth0
 * ```
 */
export function segmentReceivers(world: World, from: Nic, dst: Mac | "broadcast"): Nic[] {
  const known = dst === "broadcast" ? [] : segmentNicsWithMac(world, from.segment, dst);
  const to = known.length > 0 ? known : segmentMembers(world, from.segment);
  return to.filter((n) => n !== from);
}

/** Makes a switch over a closed set fail to compile when a kind is missing. */
function unreachable(x: never): never {
  throw new Error(`Unhandled device kind: ${JSON.stringify(x)}`);
}

/**
 * The ports a bridge sends a frame out of: the FDB entry's port for a known
 * MAC, otherwise every port but the incoming one. Ports that are down are
 * not forwarding.
 */
export function bridgeOutPorts(
  world: World,
  bridge: Bridge,
  inPort: string | undefined,
  dst: Mac | "broadcast",
): Device[] {
  const ports = bridgePorts(world, bridge.namespace, bridge.name);
  const entry = dst === "broadcast" ? undefined : bridge.fdb.find((e) => e.mac === dst);
  if (entry) return ports.filter((p) => p.name === entry.port && p.name !== inPort && p.up);
  return ports.filter((p) => p.name !== inPort && p.up);
}
