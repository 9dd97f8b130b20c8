/**
 * Linux's forwarding rules as small pure functions, each written once. The
 * tracer (`trace/`) applies them to a world, one packet at a time; the
 * verifier's evaluator (`verify/evaluate.ts`) applies them to its compact
 * form, a class of packets at a time. Both take their answers from here, so
 * a fix to a rule is one edit and the two cannot drift apart.
 *
 * The rules take numbers (an address's 32-bit value, a prefix length) or
 * an accessor for the caller's own address type, so the tracer's `Addr`
 * and `Prefix` values and the verifier's numbers go through the same code.
 *
 * @module
 */
import { maskOf } from "../addr/mod.js";
import { IPV4_HEADER_LEN } from "../wire/ipv4.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";

/** `VLAN_HLEN`: a frame may exceed the receiving device's MTU by one VLAN tag. */
export const VLAN_HLEN = 4;

/**
 * `ip_route_input_slow`'s martian source: 0.0.0.0/8 ("this network"),
 * 127.0.0.0/8 arriving on a device that is not loopback, multicast
 * (224.0.0.0/4) or the limited broadcast 255.255.255.255. (A source that
 * is one of the receiver's own addresses is martian too; that depends on
 * the namespace and is the caller's check.)
 *
 * @param v The source address as a 32-bit unsigned integer.
 * @returns True when Linux drops the packet as a martian source.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { martianSource } from "./rules.js";
 * martianSource(Addr.mustParse("127.0.0.1").value); // true
 * martianSource(Addr.mustParse("10.244.1.2").value); // false
 * ```
 */
export function martianSource(v: number): boolean {
  const top = v >>> 24;
  return top === 0 || top === 127 || v >>> 28 === 0xe || v === 0xffffffff;
}

/**
 * `ip_route_input_slow`'s martian destination: 0.0.0.0/8 or 127.0.0.0/8
 * arriving on a device that is not loopback (`route_localnet` off).
 *
 * @param v The destination address as a 32-bit unsigned integer.
 * @returns True when Linux drops the packet as a martian destination.
 * @example
 * ```ts
 * import { martianDestination } from "./rules.js";
 * martianDestination(0x7f000001); // true (127.0.0.1)
 * ```
 */
export function martianDestination(v: number): boolean {
  const top = v >>> 24;
  return top === 0 || top === 127;
}

/**
 * `is_skb_forwardable`: whether a frame carrying an IP packet of `size`
 * bytes is taken by a device of MTU `mtu` (one VLAN tag of slack).
 *
 * @param size The IP packet's size on the wire (the fragment, once fragmented).
 * @param mtu The receiving device's (or segment's) MTU.
 * @returns False when the frame is dropped as too big.
 * @example
 * ```ts
 * import { frameFits } from "./rules.js";
 * frameFits(1504, 1500); // true
 * frameFits(1505, 1500); // false
 * ```
 */
export function frameFits(size: number, mtu: number): boolean {
  return size <= mtu + VLAN_HLEN;
}

/**
 * `ip_fragment`: the size of the largest fragment of a datagram sent
 * without DF through a device of MTU `mtu` — the IPv4 header plus the
 * largest multiple of 8 bytes of payload that fits.
 *
 * @param mtu The output device's MTU.
 * @returns The first fragment's size in bytes.
 * @example
 * ```ts
 * import { fragmentSize } from "./rules.js";
 * fragmentSize(1450); // 1444
 * ```
 */
export function fragmentSize(mtu: number): number {
  return IPV4_HEADER_LEN + Math.floor((mtu - IPV4_HEADER_LEN) / 8) * 8;
}

/** What a VXLAN device does with an inner packet before wrapping it (`skb_tunnel_check_pmtu`). */
export type TunnelPmtu =
  /** The outer packet fits the underlay device, or DF is clear: wrapped as it is. */
  | { readonly kind: "fits" }
  /**
   * DF set and too big, but the device is not a bridge port: Linux records
   * `mtu` as the path MTU of the inner route (later packets a node sends
   * itself see EMSGSIZE; forwarded ones ignore it) and wraps the packet
   * anyway; the outer packet, DF clear, is fragmented.
   */
  | { readonly kind: "wrapped-anyway"; readonly mtu: number }
  /**
   * DF set and too big on a VXLAN bridge port: the device answers itself
   * with ICMP "fragmentation needed" carrying `mtu`, from the inner
   * destination, and drops the packet.
   */
  | { readonly kind: "frag-needed"; readonly mtu: number };

/** `iptunnel_pmtud_check_icmp`: no ICMP is made for a path MTU below 576. */
const TUNNEL_ICMP_MIN_MTU = 576;

/**
 * The VXLAN device's path MTU check (`skb_tunnel_check_pmtu`, kernel 6.x):
 * an inner packet larger than the underlay device's MTU less the 50 bytes
 * of headers is refused with ICMP "fragmentation needed" only when the
 * VXLAN device is a bridge port, DF is set (a packet with DF is never a
 * fragment) and the tunnel MTU is at least 576. Otherwise it is wrapped anyway and the
 * outer packet (DF clear) is fragmented: a pod's DF packet forwarded into
 * flannel's `flannel.1` over a lowered underlay is delivered, and nobody is
 * told (verified in namespaces, kernel 6.18).
 *
 * @param size The inner IP packet's size (the fragment, once fragmented).
 * @param df Whether the inner packet has DF set.
 * @param underMtu The MTU of the device the outer packet leaves by.
 * @param bridgePort Whether the VXLAN device is a bridge port.
 * @returns What Linux does with the packet.
 * @example
 * ```ts
 * import { vxlanPathMtu } from "./rules.js";
 * vxlanPathMtu(1450, true, 1400, false); // { kind: "wrapped-anyway", mtu: 1350 }
 * vxlanPathMtu(1450, true, 1400, true); // { kind: "frag-needed", mtu: 1350 }
 * vxlanPathMtu(1350, true, 1400, true); // { kind: "fits" }
 * ```
 */
export function vxlanPathMtu(
  size: number,
  df: boolean,
  underMtu: number,
  bridgePort: boolean,
): TunnelPmtu {
  const mtu = underMtu - VXLAN_OVERHEAD;
  if (size <= mtu) return { kind: "fits" };
  if (bridgePort && df && mtu >= TUNNEL_ICMP_MIN_MTU) {
    return { kind: "frag-needed", mtu };
  }
  return { kind: "wrapped-anyway", mtu };
}

/** What the FIB compares two candidate routes by. */
export interface RouteRank {
  /** Prefix length of the destination. */
  readonly bits: number;
  readonly metric: number;
}

/**
 * The FIB's preference between two routes that both contain the
 * destination: the longer prefix, then the lower metric; on a tie the
 * route already chosen (the earlier one) stays.
 *
 * @param candidate The route being considered.
 * @param best The route chosen so far, if any.
 * @returns True when `candidate` replaces `best`.
 * @example
 * ```ts
 * import { preferRoute } from "./rules.js";
 * preferRoute({ bits: 24, metric: 100 }, { bits: 16, metric: 0 }); // true
 * preferRoute({ bits: 24, metric: 100 }, { bits: 24, metric: 100 }); // false
 * ```
 */
export function preferRoute(candidate: RouteRank, best: RouteRank | undefined): boolean {
  return best === undefined || candidate.bits > best.bits ||
    (candidate.bits === best.bits && candidate.metric < best.metric);
}

/**
 * Whether `v` lies in `base/bits`.
 *
 * @param v An address as a 32-bit unsigned integer.
 * @param base The prefix's address.
 * @param bits The prefix length.
 * @returns True when the first `bits` bits agree.
 * @example
 * ```ts
 * import { inPrefix } from "./rules.js";
 * inPrefix(0x0af40207, 0x0af40200, 24); // true
 * ```
 */
export function inPrefix(v: number, base: number, bits: number): boolean {
  return ((v ^ base) & maskOf(bits)) === 0;
}

/** An iptables `-i`/`-o` match: a name, `name+` for every name it starts, `!` to negate. */
export interface IfaceMatch {
  readonly name: string;
  readonly negate: boolean;
}

/**
 * iptables' interface match. A packet with no such interface (no input
 * device for a locally generated packet, no output device before routing)
 * matches only a negated pattern.
 *
 * @param pattern The rule's `-i` or `-o`, if any.
 * @param actual The packet's interface, if it has one.
 * @returns True when the match holds.
 * @example
 * ```ts
 * import { ifaceMatches } from "./rules.js";
 * ifaceMatches({ name: "cali+", negate: false }, "cali12ab"); // true
 * ifaceMatches({ name: "eth0", negate: true }, "eth0"); // false
 * ```
 */
export function ifaceMatches(pattern: IfaceMatch | undefined, actual: string | undefined): boolean {
  if (pattern === undefined) return true;
  const hit = actual !== undefined &&
    (pattern.name.endsWith("+")
      ? actual.startsWith(pattern.name.slice(0, -1))
      : actual === pattern.name);
  return hit !== pattern.negate;
}

/**
 * The verdict of a filter chain: the first matching rule decides when its
 * target is ACCEPT or DROP; no match (or RETURN) falls to the policy.
 *
 * @param target The first matching rule's target, if any rule matched.
 * @param policy The chain's policy.
 * @returns ACCEPT or DROP.
 * @example
 * ```ts
 * import { chainVerdict } from "./rules.js";
 * chainVerdict("RETURN", "DROP"); // "DROP"
 * chainVerdict(undefined, "ACCEPT"); // "ACCEPT"
 * ```
 */
export function chainVerdict(
  target: string | undefined,
  policy: "ACCEPT" | "DROP",
): "ACCEPT" | "DROP" {
  return target === "ACCEPT" || target === "DROP" ? target : policy;
}

/** How {@linkcode pickSource} reads the caller's addresses (`A`) and interface addresses (`P`). */
export interface AddressView<A, P> {
  /** The address part of an interface address. */
  addrOf(p: P): A;
  /** Whether the interface address's subnet contains `a`. */
  contains(p: P, a: A): boolean;
  /** Whether the interface address is host scope (in 127.0.0.0/8), never a source for others. */
  hostScope(p: P): boolean;
}

/** A device as source selection sees it. */
export interface SourceDevice<P> {
  readonly kind: string;
  readonly up: boolean;
  readonly addresses: readonly P[];
}

/**
 * The source address Linux gives a packet leaving by a route
 * (`fib_result_prefsrc`, `inet_select_addr`): the route's preferred source;
 * else the output device's first address in the gateway's subnet; else the
 * device's first address; else the first address outside 127.0.0.0/8 of
 * any device in device order (`lo` and down devices included).
 *
 * @param preferred The route's `src`, if it has one.
 * @param via The route's gateway, if it has one.
 * @param own The output device's addresses (none when it has no device).
 * @param devices Every device of the namespace, in order.
 * @param view How to read the caller's address types.
 * @returns The source, or `undefined` when the namespace has no address to give.
 * @example
 * ```ts
 * import { Addr, Prefix } from "../addr/mod.js";
 * import { pickSource } from "./rules.js";
 * const eth0 = [Prefix.mustParse("192.168.0.11/24")];
 * const view = {
 *   addrOf: (p: Prefix) => p.addr,
 *   contains: (p: Prefix, a: Addr) => p.contains(a),
 *   hostScope: (p: Prefix) => p.addr.isLoopback(),
 * };
 * pickSource(undefined, Addr.mustParse("192.168.0.1"), eth0, [], view)?.toString();
 * // "192.168.0.11"
 * ```
 */
export function pickSource<A, P>(
  preferred: A | undefined,
  via: A | undefined,
  own: readonly P[],
  devices: Iterable<SourceDevice<P>>,
  view: AddressView<A, P>,
): A | undefined {
  if (preferred !== undefined) return preferred;
  if (via !== undefined) {
    for (const p of own) if (view.contains(p, via)) return view.addrOf(p);
  }
  if (own.length > 0) return view.addrOf(own[0]);
  // `inet_select_addr`'s fallback: the first global address of any device,
  // in device order — `lo` first (an address on `lo` is the classic
  // unnumbered setup), down devices too.
  for (const d of devices) {
    for (const p of d.addresses) if (!view.hostScope(p)) return view.addrOf(p);
  }
  return undefined;
}
