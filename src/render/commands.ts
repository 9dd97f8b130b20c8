/**
 * For each step of a trace, the command that shows the same state on a
 * real node (docs/trace-steps.md, with this packet's own addresses,
 * devices and ports filled in): `ip route get`, `ip neigh show`,
 * `bridge fdb show dev flannel.1`, `iptables -t nat -L -v -n`,
 * `tcpdump -ni eth0 udp port 8472`… A learner reads the simulated step and
 * can confirm it on Linux with one copy-paste.
 *
 * @example
 * ```ts
 * import { stepCommand } from "./commands.js";
 * import { Addr } from "../addr/mod.js";
 * const dst = Addr.mustParse("10.244.2.2");
 * stepCommand({ kind: "route", dst, result: { kind: "none" } }); // "ip route get 10.244.2.2"
 * ```
 *
 * @module
 */
import { match } from "ts-pattern";
import type { Drop, Packet, Step } from "../trace/types.js";

/**
 * The command for a drop, from its reason.
 *
 * @param d The drop.
 * @param dst The packet's destination, for commands that name it.
 * @returns A shell command line, or `undefined` for state the model does not model.
 */
export function dropCommand(d: Drop, dst = "<destination>"): string | undefined {
  return match(d)
    .with({ reason: "no-route" }, (x) => `ip route get ${x.dst}`)
    .with({ reason: "route-rejects" }, (x) => `ip route show match ${x.dst}`)
    .with({ reason: "ip-forward-off" }, () => "sysctl net.ipv4.ip_forward")
    .with(
      { reason: "forward-drop" },
      (x) => `iptables -t filter -L ${x.hook ?? "FORWARD"} -v -n --line-numbers`,
    )
    .with({ reason: "ttl-exceeded" }, () => `ip route get ${dst}; traceroute -n ${dst}`)
    .with({ reason: "mtu-exceeded" }, (x) => `ip link show dev ${x.dev}`)
    .with({ reason: "frame-too-big" }, (x) => `ip -s link show dev ${x.dev}`)
    .with({ reason: "neighbour-unreachable" }, (x) => `ip neigh show ${x.addr} dev ${x.dev}`)
    .with({ reason: "device-down" }, (x) => `ip link show dev ${x.dev.device}`)
    .with({ reason: "unknown-mac" }, (x) => `bridge fdb show | grep -i ${x.mac}`)
    .with({ reason: "not-for-us" }, (x) => `ip link show dev ${x.dev}`)
    .with({ reason: "no-vxlan-remote" }, (x) => `bridge fdb show dev ${x.dev}`)
    .with({ reason: "vxlan-vni-not-found" }, () => "ip -d link show type vxlan")
    .with({ reason: "vxlan-refused" }, (x) => `bridge fdb show dev ${x.dev}`)
    .with(
      { reason: "ipip-no-route" },
      (x) => `ip -s -d link show dev ${x.dev}; ip route get ${x.remote}`,
    )
    .with({ reason: "ipip-no-tunnel" }, () => "ip -d link show type ipip")
    .with(
      { reason: "martian-source" },
      { reason: "martian-destination" },
      () => "sysctl -w net.ipv4.conf.all.log_martians=1; dmesg | grep -i martian",
    )
    .with({ reason: "no-source-address" }, () => "ip -4 addr show")
    .with({ reason: "port-unreachable" }, (x) => `ss -ln${x.proto === "udp" ? "u" : "t"}p`)
    .with({ reason: "wrong-pod" }, () => "ip neigh show")
    .with({ reason: "reply-lost" }, () => `conntrack -L -d ${dst}`)
    .with({ reason: "loop" }, () => "ip route show")
    .with({ reason: "unmodelled" }, () => undefined)
    .exhaustive();
}

/**
 * The command that shows on Linux what a step decided, run in the hop's
 * namespace (on the node, or in the pod's network namespace).
 *
 * @param step The step.
 * @param packet The packet as it entered the hop (for the destination and ports).
 * @returns A shell command line, or `undefined` when no command shows it.
 */
export function stepCommand(step: Step, packet?: Packet): string | undefined {
  const dst = packet?.ip.dst.toString() ?? "<destination>";
  return match(step)
    .with(
      { kind: "send" },
      (s) =>
        s.ip.proto === "icmp"
          ? `ping -c1 -s ${Math.max(0, s.ip.length - 28)} ${
            s.ip.df ? "-M do " : ""
          }-t ${s.ip.ttl} ${s.ip.dst}`
          : `nc -vz${s.ip.proto === "udp" ? "u" : ""} ${s.ip.dst} ${s.ip.dport ?? ""}`.trimEnd(),
    )
    .with({ kind: "route" }, (s) => `ip route get ${s.dst}${s.oif ? ` oif ${s.oif}` : ""}`)
    .with({ kind: "ip-forward" }, () => "sysctl net.ipv4.ip_forward")
    .with({ kind: "ttl" }, () => `tcpdump -vni any host ${dst}`)
    .with({ kind: "mtu" }, (s) => `ip link show dev ${s.dev}`)
    .with({ kind: "netfilter" }, (s) => `iptables -t ${s.table} -L ${s.hook} -v -n --line-numbers`)
    .with(
      { kind: "nat" },
      (s) => `iptables -t nat -L ${s.hook} -v -n; conntrack -L -d ${s.before.dst}`,
    )
    .with({ kind: "neighbour" }, (s) => `ip neigh show ${s.addr} dev ${s.dev}`)
    .with({ kind: "xmit" }, (s) => `tcpdump -eni ${s.dev} host ${dst}`)
    .with({ kind: "veth" }, (s) => `ip -d link show dev ${s.from.device}`)
    .with({ kind: "bridge" }, (s) => `bridge fdb show br ${s.bridge} | grep -i ${s.dstMac}`)
    .with(
      { kind: "segment" },
      (s) =>
        packet?.vxlan
          ? `tcpdump -ni ${s.to.device} udp port ${packet.ip.dport ?? 8472}`
          : `tcpdump -eni ${s.to.device} host ${dst}`,
    )
    .with({ kind: "vxlan-encap" }, (s) => `bridge fdb show dev ${s.dev}`)
    .with({ kind: "vxlan-decap" }, (s) => `ip -d link show dev ${s.dev}`)
    .with({ kind: "ipip-encap" }, (s) => `ip -d link show dev ${s.dev}; ip route get ${s.remote}`)
    .with({ kind: "ipip-decap" }, (s) => `ip -s -d link show dev ${s.dev}`)
    .with({ kind: "receive" }, (s) => `ip -s link show dev ${s.dev}`)
    .with({ kind: "loopback" }, () => "ip route show table local")
    .with({ kind: "deliver" }, (s) => (s.port === undefined ? undefined : "ss -lntup"))
    .with({ kind: "drop" }, (s) => dropCommand(s.drop, dst))
    .exhaustive();
}
