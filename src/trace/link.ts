/**
 * The tracer's layer 2: a frame out of a device (a veth to its peer, a NIC
 * onto its segment, a bridge, a VXLAN device) and into one (`not for us`,
 * a bridge port), bridge forwarding by FDB, learning and flooding, and the
 * frame size checks of `is_skb_forwardable`.
 *
 * @module
 */
import { Mac } from "../addr/mod.js";
import { bridgeOutPorts, bridgeOwnsMac, reach, segmentReceivers } from "../forward/layer2.js";
import { deviceAt, masterOf, segmentNicsWithMac } from "../world/query.js";
import { frameFits } from "../forward/rules.js";
import type { Bridge, Device, Namespace } from "../model/world.js";
import type { Packet, SenderSees, Step, Verdict } from "./types.js";
import type { Next, Run } from "./run.js";

// --- layer 2 ----------------------------------------------------------------

/**
 * A frame leaves by `dev`. Every hop passes here, so this is a `switch`
 * (the compiler still proves it exhaustive through `never`), not a
 * ts-pattern match, which cost a quarter of a trace (deno task bench).
 */
export function l2Out(run: Run, ns: Namespace, dev: Device, packet: Packet): Next {
  switch (dev.kind) {
    case "veth":
      return crossVeth(run, ns, dev, packet);
    case "nic":
      return crossSegment(run, ns, dev, packet);
    case "bridge":
      return bridgeForward(run, ns, dev, undefined, packet);
    case "vxlan":
      return run.stack.vxlanXmit(run, ns, dev, packet);
    case "loopback":
      return run.stack.ipReceive(run, ns, dev, packet);
    case "ipip":
      throw new Error(`${ns.name}/${dev.name}: an IP-in-IP device sends no frames`);
    default: {
      const unknown: never = dev;
      throw new Error(`Unknown device kind: ${JSON.stringify(unknown)}`);
    }
  }
}

/** A frame crosses a veth to its peer, in the peer's namespace. */
function crossVeth(
  run: Run,
  ns: Namespace,
  dev: Device & { kind: "veth" },
  packet: Packet,
): Next {
  const peer = deviceAt(run.world, dev.peer)!;
  if (!peer.up) return run.drop(ns, { reason: "device-down", dev: dev.peer });
  const tooBig = frameTooBig(run, ns, peer, packet, ownFrameSees(run));
  if (tooBig) return tooBig;
  run.step({ kind: "veth", from: { namespace: ns.name, device: dev.name }, to: dev.peer });
  const next = run.enterNamespace(peer.namespace, packet);
  return () => l2In(run, next, peer, packet);
}

/** A frame crosses the underlay segment to the NIC with its destination MAC (or the one flooding finds). */
function crossSegment(
  run: Run,
  ns: Namespace,
  dev: Device & { kind: "nic" },
  packet: Packet,
): Next {
  const segment = run.world.segments.find((s) => s.name === dev.segment)!;
  const dst = packet.eth!.dst;
  const target = segmentNicsWithMac(run.world, segment.name, dst).find((n) => n !== dev) ??
    floodedTo(run, dev, dst);
  const sees = ownFrameSees(run);
  run.enter({ kind: "segment", name: segment.name }, packet);
  const size = packet.ip.fragment ?? packet.ip.length;
  if (!frameFits(size, segment.mtu)) {
    return run.drop(segment.name, {
      reason: "frame-too-big",
      dev: segment.name,
      mtu: segment.mtu,
      size,
    }, sees);
  }
  if (target === undefined) return run.drop(segment.name, { reason: "unknown-mac", mac: dst });
  run.step({
    kind: "segment",
    segment: segment.name,
    from: { namespace: ns.name, device: dev.name },
    to: { namespace: target.namespace, device: target.name },
  });
  const next = run.enterNamespace(target.namespace, packet);
  if (!target.up) {
    return run.drop(next, {
      reason: "device-down",
      dev: { namespace: next.name, device: target.name },
    });
  }
  const tooBig = frameTooBig(run, next, target, packet);
  if (tooBig) return tooBig;
  return () => l2In(run, next, target, packet);
}

/**
 * The segment floods a frame for a MAC no NIC has (`segmentReceivers`):
 * the NIC, a bridge port, whose bridge leads to the MAC takes it.
 */
function floodedTo(
  run: Run,
  dev: Device & { kind: "nic" },
  dst: Mac,
): (Device & { kind: "nic" }) | undefined {
  const nics = segmentReceivers(run.world, dev, dst).filter((n) => n.master !== undefined);
  if (nics.length === 0) return undefined;
  for (const e of reach(run.world, dev, dst, run.tunnelReach)) {
    const bridge = e.path[0]?.bridge ?? (e.dev.kind === "bridge" ? e.dev : undefined);
    const nic = nics.find((n) => n.namespace === bridge?.namespace && n.master === bridge?.name);
    if (nic) return nic;
  }
  return undefined;
}

/** `is_skb_forwardable`: a frame may exceed the MTU by a VLAN tag (4 bytes), no more. */
function frameTooBig(
  run: Run,
  ns: Namespace,
  dev: Device,
  packet: Packet,
  sees: SenderSees = { kind: "nothing" },
): Verdict | undefined {
  const size = packet.ip.fragment ?? packet.ip.length;
  if (frameFits(size, dev.mtu)) return undefined;
  return run.drop(ns, { reason: "frame-too-big", dev: dev.name, mtu: dev.mtu, size }, sees);
}

/**
 * What the sender sees when its own frame is too big for the device it
 * is handed to on its own host (a veth peer, the underlay's port): the
 * transmit error reaches the socket as ENOBUFS when the neighbour was
 * resolved and the frame went straight out; a frame that waited for ARP
 * is sent later by the neighbour code, and its error reaches nobody.
 */
function ownFrameSees(run: Run): SenderSees {
  return run.atSource && run.resolvedAtSource && !run.hops[0].after.vxlan
    ? { kind: "local-error", errno: "ENOBUFS" }
    : { kind: "nothing" };
}

/** A frame arrives on `dev`: a bridge port hands it to its bridge; otherwise it must be for the device's MAC. */
export function l2In(run: Run, ns: Namespace, dev: Device, packet: Packet): Next {
  if (!dev.up) {
    return run.drop(ns, {
      reason: "device-down",
      dev: { namespace: ns.name, device: dev.name },
    });
  }
  const bridge = masterOf(run.world, dev);
  if (bridge) return bridgeForward(run, ns, bridge, dev.name, packet);
  const dst = packet.eth!.dst;
  run.step({ kind: "receive", dev: dev.name, dstMac: dst });
  if (dst !== dev.mac && dst !== Mac.broadcast) {
    return run.drop(ns, { reason: "not-for-us", dev: dev.name, mac: dst });
  }
  return run.stack.ipReceive(run, ns, dev, packet);
}

/** A bridge forwards a frame: to itself, by FDB entry (learned during the trace first), or by flooding. */
function bridgeForward(
  run: Run,
  ns: Namespace,
  bridge: Bridge,
  inPort: string | undefined,
  packet: Packet,
): Next {
  const dstMac = packet.eth!.dst;
  if (!bridge.up) {
    return run.drop(ns, {
      reason: "device-down",
      dev: { namespace: ns.name, device: bridge.name },
    });
  }
  const record = (decision: Step & { kind: "bridge" }) => run.step(decision);
  if (bridgeOwnsMac(run.world, bridge, dstMac)) {
    record({ kind: "bridge", bridge: bridge.name, inPort, dstMac, decision: { kind: "local" } });
    run.step({ kind: "receive", dev: bridge.name, dstMac });
    return run.stack.ipReceive(run, ns, bridge, packet);
  }
  // Learning moves a `static` entry too (only `sticky` would pin it): a
  // MAC this trace's ARP reply taught the bridge wins over the table.
  const entry = run.learnedEntry(ns, bridge, dstMac) ?? bridge.fdb.find((e) => e.mac === dstMac);
  if (entry) {
    record({
      kind: "bridge",
      bridge: bridge.name,
      inPort,
      dstMac,
      decision: { kind: "fdb", port: entry.port, state: entry.state },
    });
    const port = run.device(ns, entry.port);
    if (entry.port === inPort) return run.drop(ns, { reason: "unknown-mac", mac: dstMac });
    if (!port.up) {
      return run.drop(ns, {
        reason: "device-down",
        dev: { namespace: ns.name, device: port.name },
      });
    }
    return bridgeEgress(run, ns, port, packet);
  }
  const ports = bridgeOutPorts(run.world, bridge, inPort, dstMac);
  const followed = ports.find((p) =>
    reach(run.world, p, dstMac, run.tunnelReach).some((e) => e.dev.mac === dstMac)
  );
  const names = ports.map((p) => p.name);
  if (followed === undefined) {
    record({
      kind: "bridge",
      bridge: bridge.name,
      inPort,
      dstMac,
      decision: { kind: "flood-lost", ports: names },
    });
    return run.drop(ns, { reason: "unknown-mac", mac: dstMac });
  }
  record({
    kind: "bridge",
    bridge: bridge.name,
    inPort,
    dstMac,
    decision: { kind: "flood", ports: names, followed: followed.name },
  });
  return bridgeEgress(run, ns, followed, packet);
}

/** A frame leaves a bridge by a port. */
function bridgeEgress(run: Run, ns: Namespace, port: Device, packet: Packet): Next {
  const tooBig = frameTooBig(run, ns, port, packet);
  if (tooBig) return tooBig;
  return () => l2Out(run, ns, port, packet);
}
