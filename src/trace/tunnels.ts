/**
 * The tracer's tunnels: VXLAN (encapsulation by FDB, the path MTU check,
 * receive by port and VNI, which remote device a frame reaches) and IP in
 * IP (`ip_tunnel_xmit`, `ipip_rcv`).
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import { vxlanRefuses, vxlanRemotes, vxlanReplyRemotes } from "../forward/layer2.js";
import { encapsulate } from "../tunnel/vxlan.js";
import { namespaceNamed } from "../world/query.js";
import { lookupRoute, selectSource } from "../forward/fib.js";
import { vxlanPathMtu } from "../forward/rules.js";
import type { Device, Ipip, Namespace, Route, Vxlan } from "../model/world.js";
import { encapsulateIpip, IPIP_OVERHEAD } from "../tunnel/ipip.js";
import type { ResolvedProbe } from "./probe.js";
import type { Packet, SenderSees, Verdict } from "./types.js";
import { BudgetExhausted, type Next, type Run, settle } from "./run.js";
import { sees } from "./answers.js";

/** How deep VXLAN crossings may nest while answering ARP through tunnels. */
const MAX_TUNNEL_DEPTH = 3;

// --- VXLAN ------------------------------------------------------------------

/** A frame out of a VXLAN device: the FDB names the remote, the path MTU is checked, the frame is wrapped in UDP and sent from the node. */
export function vxlanXmit(run: Run, ns: Namespace, dev: Vxlan, packet: Packet): Next {
  const dstMac = packet.eth!.dst;
  const { remotes, viaDefault } = vxlanRemotes(dev, dstMac);
  if (remotes.length === 0) {
    return run.drop(ns, { reason: "no-vxlan-remote", dev: dev.name, mac: dstMac });
  }
  const remote = remotes.length === 1
    ? remotes[0]
    : remotes.find((r) => tunnelTo(run, dev, r)?.mac === dstMac) ?? remotes[0];
  const route = lookupRoute(ns, remote, dev.dev);
  const local = dev.local ?? (route ? selectSource(ns, route) : undefined);
  const tooBig = tunnelMtuCheck(run, ns, dev, route, packet);
  if (tooBig) return tooBig;
  const outer = encapsulate(packet, {
    vni: dev.vni,
    local: local ?? remote,
    remote,
    dstport: dev.dstport,
    ttl: ns.sysctl.defaultTtl,
  });
  run.step({
    kind: "vxlan-encap",
    dev: dev.name,
    vni: dev.vni,
    remote,
    viaDefaultEntry: viaDefault,
    inner: packet,
    outer: outer.ip,
  }, outer);
  // The outer route failing (none, blackhole, unreachable, prohibit) is
  // the VXLAN device's own transmit error (`tx_carrier_errors`): the
  // inner packet was already sent, so nobody is told.
  const refused = run.stack.routeStep(run, ns, remote, route, dev.dev);
  if (refused) {
    return refused.kind === "dropped" ? { ...refused, senderSees: { kind: "nothing" } } : refused;
  }
  if (local === undefined) return run.drop(ns, { reason: "no-source-address" });
  return run.stack.localOutput(run, ns, route!, outer);
}

/**
 * IP in IP (`ip_tunnel_xmit`): the outer destination is the device's
 * `remote`, else the route's gateway, else the inner destination
 * (`rt_nexthop`); the outer source its `local`, else what the outer route
 * selects. An outer route back into a tunnel device, or none, drops the
 * packet silently (the device counts an error; nobody is told).
 */
export function ipipXmit(run: Run, ns: Namespace, dev: Ipip, route: Route, packet: Packet): Next {
  const remote = dev.remote ?? route.via ?? packet.ip.dst;
  const outerRoute = lookupRoute(ns, remote);
  const under = outerRoute?.type === "unicast" ? run.device(ns, outerRoute.dev!) : undefined;
  if (outerRoute?.type === "unicast" && (under === undefined || under.kind === "ipip")) {
    return run.drop(ns, { reason: "ipip-no-route", dev: dev.name, remote }, {
      kind: "nothing",
    });
  }
  // The tunnel's path MTU check, as for VXLAN: DF packets whose outer
  // packet would not fit the underlay route are refused with the MTU less 20.
  if (under !== undefined && packet.ip.df && packet.ip.length + IPIP_OVERHEAD > under.mtu) {
    const mtu = under.mtu - IPIP_OVERHEAD;
    const size = packet.ip.length;
    run.step({ kind: "mtu", dev: dev.name, mtu, size, df: true, outcome: "too-big" });
    return run.drop(
      ns,
      { reason: "mtu-exceeded", dev: dev.name, mtu, size },
      sees(run, ns, "mtu", mtu),
    );
  }
  const local = dev.local ??
    (outerRoute?.type === "unicast" ? selectSource(ns, outerRoute) : undefined);
  const outer = encapsulateIpip(packet, { local: local ?? remote, remote });
  run.step({ kind: "ipip-encap", dev: dev.name, remote, inner: packet, outer: outer.ip }, outer);
  const refused = run.stack.routeStep(run, ns, remote, outerRoute);
  if (refused) {
    return refused.kind === "dropped" ? { ...refused, senderSees: { kind: "nothing" } } : refused;
  }
  if (local === undefined) return run.drop(ns, { reason: "no-source-address" });
  return run.stack.localOutput(run, ns, outerRoute!, outer);
}

/**
 * An IP-in-IP packet for this namespace (`ipip_rcv`): the tunnel device
 * whose ends match (a fallback `tunl0`, with none set, takes any) unwraps
 * it and the inner packet is received on that device.
 */
export function ipipReceive(run: Run, ns: Namespace, outer: Packet): Next {
  const { inner } = outer.ipip!;
  const matches = (d: Ipip) =>
    d.up && (d.local === undefined || d.local === outer.ip.dst) &&
    (d.remote === undefined || d.remote === outer.ip.src);
  const tunnels = ns.devices.filter((d): d is Ipip => d.kind === "ipip" && matches(d));
  // A tunnel with both ends set is preferred to the catch-all one (`ip_tunnel_lookup`).
  const dev = tunnels.find((d) => d.remote !== undefined) ?? tunnels[0];
  if (dev === undefined) return run.drop(ns, { reason: "ipip-no-tunnel", from: outer.ip.src });
  run.step({ kind: "ipip-decap", dev: dev.name, inner }, inner);
  return () => run.stack.ipReceive(run, ns, dev, inner);
}

/**
 * The VXLAN device's path MTU check (`vxlanPathMtu` in forward/rules.ts):
 * a DF packet too big for the underlay is refused with ICMP
 * "fragmentation needed" from the inner destination only when the device
 * is a bridge port; otherwise it is wrapped anyway and the outer packet
 * fragmented.
 */
function tunnelMtuCheck(
  run: Run,
  ns: Namespace,
  dev: Vxlan,
  route: Route | undefined,
  packet: Packet,
): Verdict | undefined {
  const under = route?.type === "unicast" ? run.device(ns, route.dev!) : undefined;
  if (under === undefined) return;
  const size = packet.ip.fragment ?? packet.ip.length;
  const df = packet.ip.df;
  const check = vxlanPathMtu(size, df, under.mtu, dev.master !== undefined);
  if (check.kind === "fits") return;
  const mtu = check.mtu;
  if (check.kind === "wrapped-anyway") {
    run.step({ kind: "mtu", dev: dev.name, mtu, size, df, outcome: "wrapped-anyway" });
    return;
  }
  run.step({ kind: "mtu", dev: dev.name, mtu, size, df, outcome: "too-big" });
  const told: SenderSees = run.depth > 0 ? { kind: "nothing" } : {
    kind: "icmp",
    type: "destination-unreachable",
    code: "fragmentation-needed",
    from: packet.ip.dst,
    mtu,
  };
  return run.drop(ns, { reason: "mtu-exceeded", dev: dev.name, mtu, size }, told);
}

/** A VXLAN packet for this namespace: the device on its port with its VNI takes it (unless learning or FDB refuses the inner source) and receives the inner frame. */
export function vxlanReceive(run: Run, ns: Namespace, outer: Packet): Next {
  const { vni, inner } = outer.vxlan!;
  const port = outer.ip.dport ?? 0;
  const onPort = ns.devices.filter((d): d is Vxlan =>
    d.kind === "vxlan" && d.up && d.dstport === port
  );
  if (onPort.length === 0) {
    return run.drop(ns, { reason: "port-unreachable", proto: "udp", port });
  }
  const dev = onPort.find((d) => d.vni === vni);
  if (dev === undefined) return run.drop(ns, { reason: "vxlan-vni-not-found", vni, port });
  const srcMac = inner.eth?.src;
  if (srcMac !== undefined) {
    const entry = dev.fdb.find((e) => e.mac === srcMac)?.dst;
    const why = vxlanRefuses(dev, srcMac, entry, outer.ip.src);
    if (why !== undefined) {
      const from = outer.ip.src;
      return run.drop(ns, { reason: "vxlan-refused", dev: dev.name, mac: srcMac, from, why });
    }
  }
  run.step({ kind: "vxlan-decap", dev: dev.name, vni, inner }, inner);
  if (run.purpose.kind === "tunnel") return { kind: "decapsulated", dev };
  return () => run.stack.l2In(run, ns, dev, inner);
}

/** Which remote VXLAN device an encapsulated frame for `remote` reaches. */
function tunnelTo(run: Run, dev: Vxlan, remote: Addr): Vxlan | undefined {
  if (run.depth >= MAX_TUNNEL_DEPTH) return undefined;
  const ns = namespaceNamed(run.world, dev.namespace)!;
  const probe: ResolvedProbe = {
    namespace: ns.name,
    dst: remote,
    claimants: [],
    proto: "udp",
    sport: 0,
    dport: dev.dstport,
    size: 28,
    df: false,
  };
  const sub = run.child(probe, { kind: "tunnel" });
  const route = lookupRoute(ns, remote, dev.dev);
  const local = vxlanSource(ns, dev, remote);
  if (route === undefined || route.type !== "unicast" || local === undefined) return undefined;
  const inner: Packet = {
    ip: { src: local, dst: remote, ttl: 64, proto: "udp", length: 28, df: false },
  };
  const outer = encapsulate(inner, {
    vni: dev.vni,
    local,
    remote,
    dstport: dev.dstport,
    ttl: ns.sysctl.defaultTtl,
  });
  sub.enter({ kind: "namespace", name: ns.name, role: ns.role }, outer);
  try {
    const end = settle(run.stack.localOutput(sub, ns, route, outer));
    return end.kind === "decapsulated" ? end.dev : undefined;
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
    return undefined;
  }
}

/**
 * The remote VXLAN devices a frame out of `dev` reaches and is taken up
 * by. A broadcast is an ARP request: a device counts only when it keeps
 * the request ({@linkcode vxlanRefuses}) and its answer finds the way
 * back to `dev` ({@linkcode vxlanReplyRemotes}); otherwise the reply is
 * dropped on transmit and the asker's neighbour entry fails.
 */
export function tunnelReach(run: Run, dev: Vxlan, dst: Mac | "broadcast"): Device[] {
  const out: Device[] = [];
  for (const remote of vxlanRemotes(dev, dst).remotes) {
    const far = tunnelTo(run, dev, remote);
    if (far === undefined) continue;
    if (dst === "broadcast" && !answersBack(run, dev, far, remote)) continue;
    out.push(far);
  }
  return out;
}

/** Whether `far` keeps an ARP request from `dev` (sent to `remote`) and its reply gets back. */
function answersBack(run: Run, dev: Vxlan, far: Vxlan, remote: Addr): boolean {
  const ns = namespaceNamed(run.world, dev.namespace)!;
  const local = vxlanSource(ns, dev, remote);
  if (local === undefined) return false;
  const entry = far.fdb.find((e) => e.mac === dev.mac)?.dst;
  if (vxlanRefuses(far, dev.mac, entry, local) !== undefined) return false;
  return vxlanReplyRemotes(far, dev.mac, local).some((r) => tunnelTo(run, far, r) === dev);
}

/** A VXLAN device's outer source towards `remote`: its `local`, else the underlay route's source. */
function vxlanSource(ns: Namespace, dev: Vxlan, remote: Addr): Addr | undefined {
  const route = lookupRoute(ns, remote, dev.dev);
  return dev.local ?? (route ? selectSource(ns, route) : undefined);
}
