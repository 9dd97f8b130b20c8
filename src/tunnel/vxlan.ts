/**
 * VXLAN at the header level: what an outer packet looks like for an inner
 * frame, and how decapsulation gets the inner frame back. The byte-exact
 * formats are in `wire/`.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import type { IpHeader, Packet } from "../model/packet.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";

export { VXLAN_OVERHEAD };

/** Linux's default ephemeral port range, which VXLAN source ports come from. */
export const EPHEMERAL_PORTS = { min: 32768, max: 60999 } as const;

/**
 * A deterministic stand-in for the flow hash Linux uses to pick the outer
 * UDP source port (so one flow keeps one port). The real port differs.
 *
 * @param inner The inner header.
 * @returns A port in 32768-60999.
 */
export function outerSourcePort(inner: IpHeader): number {
  let h = 0x9e3779b9 ^ inner.src.value;
  h = Math.imul(h ^ inner.dst.value, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ ((inner.sport ?? 0) * 65536 + (inner.dport ?? 0)), 0xc2b2ae35) >>> 0;
  return EPHEMERAL_PORTS.min + (h % (EPHEMERAL_PORTS.max - EPHEMERAL_PORTS.min + 1));
}

/** What the sending VTEP puts in the outer headers. */
export interface EncapParams {
  readonly vni: number;
  readonly local: Addr;
  readonly remote: Addr;
  readonly dstport: number;
  /** Outer TTL: the namespace's default TTL, as Linux VXLAN uses. */
  readonly ttl: number;
}

/**
 * Wraps an inner frame in outer IPv4/UDP/VXLAN headers. The outer packet is
 * {@linkcode VXLAN_OVERHEAD} bytes longer than the inner IP packet (a
 * fragmented inner packet is wrapped fragment by fragment, so the outer one
 * is its largest fragment plus 50); Linux leaves DF clear on the outer
 * header by default.
 *
 * @param inner The inner frame (with its Ethernet header).
 * @param p Outer addresses, VNI, port and TTL.
 * @returns The outer packet (its Ethernet header is added when it is sent).
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { decapsulate, encapsulate } from "./vxlan.js";
 * const inner = {
 *   eth: { src: Mac.mustParse("02:00:00:00:00:01"), dst: Mac.mustParse("02:00:00:00:00:02") },
 *   ip: { src: Addr.mustParse("10.244.1.2"), dst: Addr.mustParse("10.244.2.2"), ttl: 63,
 *     proto: "icmp" as const, length: 84, df: true },
 * };
 * const outer = encapsulate(inner, { vni: 1, local: Addr.mustParse("192.168.0.11"),
 *   remote: Addr.mustParse("192.168.0.12"), dstport: 8472, ttl: 64 });
 * outer.ip.length - inner.ip.length; // 50
 * decapsulate(outer)?.inner === inner; // true
 * ```
 */
export function encapsulate(inner: Packet, p: EncapParams): Packet {
  const ip: IpHeader = {
    src: p.local,
    dst: p.remote,
    ttl: p.ttl,
    proto: "udp",
    sport: outerSourcePort(inner.ip),
    dport: p.dstport,
    length: (inner.ip.fragment ?? inner.ip.length) + VXLAN_OVERHEAD,
    df: false,
  };
  return { ip, vxlan: { vni: p.vni, inner } };
}

/**
 * Takes the outer headers off.
 *
 * @param outer A packet built by {@linkcode encapsulate}.
 * @returns The VNI and the inner frame, or `undefined` for a packet that is not VXLAN.
 */
export function decapsulate(outer: Packet): { vni: number; inner: Packet } | undefined {
  return outer.vxlan && outer.ip.proto === "udp" ? outer.vxlan : undefined;
}
