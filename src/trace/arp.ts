/**
 * Who answers an ARP request, fast at any cluster size. A request is a
 * broadcast: it reaches every device of the layer-2 domain (`reach` in
 * `forward/layer2.ts`), and every namespace that owns the address answers
 * unless it also owns the sender's address (`arp_ignore=0`). The flood's
 * endpoints (the rule of `forward/arp.ts` decides who answers) depend only
 * on the world, the sending device and how deep in
 * VXLAN sub-runs the question is asked, so they are computed once per
 * world and device, with an index from address to the endpoints whose
 * namespace owns it: a request on a 5,000-node underlay costs a lookup,
 * not 5,000 locality checks.
 *
 * @module
 */
import type { Addr, Prefix } from "../addr/mod.js";
import { answersArp } from "../forward/arp.js";
import { type Endpoint, reach, type TunnelReach } from "../forward/layer2.js";
import { proxyArpOn, proxyArpRoute } from "../forward/proxyarp.js";
import type { Device, Route, World } from "../model/world.js";
import { namespaceNamed } from "../world/query.js";
import { isLocal } from "../world/routes.js";

/** A broadcast flood from one device, with its endpoints indexed by the addresses their namespaces own. */
interface Flood {
  readonly endpoints: readonly Endpoint[];
  /** Endpoint positions by the address value their namespace has on any device. */
  readonly owners: ReadonlyMap<number, readonly number[]>;
  /** Prefixes of loopback devices among the endpoints' namespaces (whole prefixes are local). */
  readonly loopbacks: readonly Prefix[];
  /** Positions of the endpoints whose namespace has proxy ARP on for the receiving device. */
  readonly proxies: readonly number[];
}

/** Floods by world, then tunnel depth, then sending device. Worlds never change. */
const floods = new WeakMap<World, Map<number, Map<Device, Flood>>>();

/**
 * Every device a broadcast frame sent out of `dev` reaches, in the order it
 * reaches them (cached per world, depth and device).
 *
 * @param world The world.
 * @param dev The sending device.
 * @param depth How deep in VXLAN sub-runs the flood is followed (the tunnel resolver's depth).
 * @param tunnel Resolves VXLAN crossings.
 * @returns The endpoints.
 */
export function broadcastEndpoints(
  world: World,
  dev: Device,
  depth: number,
  tunnel: TunnelReach,
): readonly Endpoint[] {
  return flood(world, dev, depth, tunnel).endpoints;
}

/**
 * The endpoints of an ARP request for `addr` sent out of `dev` that
 * answer it, in the order the request reaches them: those whose namespace
 * owns `addr` and not `sip` (the request's sender address).
 *
 * @param world The world.
 * @param dev The device the request leaves by.
 * @param addr The address asked for.
 * @param sip The request's sender address, if it has one.
 * @param depth The tunnel resolver's depth.
 * @param tunnel Resolves VXLAN crossings.
 * @returns The answering endpoints; the first one's reply is the one used.
 */
export function arpAnswerers(
  world: World,
  dev: Device,
  addr: Addr,
  sip: Addr | undefined,
  depth: number,
  tunnel: TunnelReach,
): Endpoint[] {
  const f = flood(world, dev, depth, tunnel);
  // An address inside a loopback prefix (127.0.0.0/8 ...) is owned without
  // being listed: check every endpoint then, as rarely happens.
  const candidates = f.loopbacks.some((p) => p.contains(addr))
    ? f.endpoints.map((_, i) => i)
    : f.owners.get(addr.value) ?? [];
  const out: Endpoint[] = [];
  for (const i of candidates) {
    const e = f.endpoints[i];
    if (e.dev === dev) continue;
    const far = namespaceNamed(world, e.dev.namespace)!;
    if (answersArp((a: Addr) => isLocal(far, a), addr, sip)) out.push(e);
  }
  return out;
}

/** An answer by proxy ARP: the endpoint that answers and the route that made it. */
export interface ProxyAnswer {
  readonly endpoint: Endpoint;
  readonly route: Route;
}

/** An ARP request: where it leaves, what it asks, and how deep in tunnel sub-runs. */
export interface ArpRequest {
  /** The device the request leaves by. */
  readonly dev: Device;
  /** The address asked for. */
  readonly addr: Addr;
  /** The request's sender address, if it has one. */
  readonly sip: Addr | undefined;
  /** The tunnel resolver's depth. */
  readonly depth: number;
  /** Resolves VXLAN crossings. */
  readonly tunnel: TunnelReach;
}

/**
 * The endpoints an ARP request reaches that answer it by proxy ARP
 * (`forward/proxyarp.ts`), in the order the request reaches them.
 *
 * @param world The world.
 * @param request The request.
 * @returns The proxy answers with their routes.
 */
export function arpProxies(world: World, request: ArpRequest): ProxyAnswer[] {
  const { dev, addr, sip, depth, tunnel } = request;
  const f = flood(world, dev, depth, tunnel);
  const out: ProxyAnswer[] = [];
  for (const i of f.proxies) {
    const e = f.endpoints[i];
    if (e.dev === dev) continue;
    const far = namespaceNamed(world, e.dev.namespace)!;
    const route = proxyArpRoute(far, e.dev.name, addr, sip);
    if (route !== undefined) out.push({ endpoint: e, route });
  }
  return out;
}

function flood(world: World, dev: Device, depth: number, tunnel: TunnelReach): Flood {
  let byDepth = floods.get(world);
  if (byDepth === undefined) floods.set(world, byDepth = new Map());
  let byDev = byDepth.get(depth);
  if (byDev === undefined) byDepth.set(depth, byDev = new Map());
  let f = byDev.get(dev);
  if (f !== undefined) return f;
  const endpoints = reach(world, dev, "broadcast", tunnel);
  const owners = new Map<number, number[]>();
  const loopbacks = new Set<Prefix>();
  const proxies: number[] = [];
  endpoints.forEach((e, i) => {
    const far = namespaceNamed(world, e.dev.namespace)!;
    if (proxyArpOn(far, e.dev.name)) proxies.push(i);
    // Every address of every device, up or down: a superset of what
    // `isLocal` counts, which the answer check then applies exactly.
    for (const d of far.devices) {
      for (const a of d.addresses) {
        if (d.kind === "loopback") loopbacks.add(a);
        const list = owners.get(a.addr.value);
        if (list === undefined) owners.set(a.addr.value, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
    }
  });
  f = { endpoints, owners, loopbacks: [...loopbacks], proxies };
  byDev.set(dev, f);
  return f;
}
