/**
 * Flow keys and the VXLAN outer UDP source port. Linux picks the source port
 * of an encapsulated packet with `udp_flow_src_port()`: a hash of the inner
 * flow (`skb_get_hash`, a seeded jhash of addresses, protocol and ports),
 * scrambled with `hash ^= hash << 16` and scaled into the local port range
 * `net.ipv4.ip_local_port_range`, by default 32768-60999. The seed is random
 * per boot, so the real port differs from the one computed here; what carries
 * over is the behaviour: one port per inner flow, different flows spread over
 * the range (which is what lets the underlay's ECMP spread them too).
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import { match } from "ts-pattern";
import type { Frame } from "./frame.js";

/** Linux's default `net.ipv4.ip_local_port_range`. */
export const EPHEMERAL_PORT_RANGE = { min: 32768, max: 60999 } as const;

/** The 5-tuple that identifies an inner flow. */
export interface FlowKey {
  /** Source address. */
  readonly src: Addr;
  /** Destination address. */
  readonly dst: Addr;
  /** IP protocol number. */
  readonly protocol: number;
  /** 0 for ICMP. */
  readonly srcPort: number;
  /** 0 for ICMP. */
  readonly dstPort: number;
}

/**
 * The flow key of a frame: addresses, protocol and ports (0 for ICMP, whose
 * flow Linux hashes by addresses and protocol).
 *
 * @param frame A decoded or built frame.
 * @returns Its 5-tuple.
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { flowKeyOf, frameOf } from "./mod.js";
 * const key = flowKeyOf(frameOf({
 *   srcMac: Mac.zero, dstMac: Mac.broadcast,
 *   src: Addr.mustParse("10.244.1.2"), dst: Addr.mustParse("10.244.2.3"),
 *   transport: { kind: "udp", header: { srcPort: 5353, dstPort: 53, checksummed: true } },
 * }));
 * key.dstPort; // 53
 * ```
 */
export function flowKeyOf(frame: Frame): FlowKey {
  const ports = match(frame.transport)
    .with({ kind: "icmp" }, () => ({ srcPort: 0, dstPort: 0 }))
    .with({ kind: "udp" }, { kind: "tcp" }, ({ header }) => ({
      srcPort: header.srcPort,
      dstPort: header.dstPort,
    }))
    .exhaustive();
  return { src: frame.ipv4.src, dst: frame.ipv4.dst, protocol: frame.ipv4.protocol, ...ports };
}

/** FNV-1a, 32 bits: a small deterministic stand-in for the kernel's jhash. */
export function fnv1a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * Linux's last steps of `udp_flow_src_port()`: `hash ^= hash << 16`, then
 * `min + ((u64)hash * (max - min) >> 32)`. Like Linux, never returns `max`.
 */
export function sourcePortFromHash(hash: number): number {
  const { min, max } = EPHEMERAL_PORT_RANGE;
  const scrambled = (hash ^ (hash << 16)) >>> 0;
  return min + Math.floor((scrambled * (max - min)) / 0x1_0000_0000);
}

function flowKeyBytes(flow: FlowKey): Uint8Array {
  const bytes = new Uint8Array(13);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, flow.src.value);
  view.setUint32(4, flow.dst.value);
  view.setUint8(8, flow.protocol & 0xff);
  view.setUint16(9, flow.srcPort & 0xffff);
  view.setUint16(11, flow.dstPort & 0xffff);
  return bytes;
}

/**
 * A deterministic VXLAN outer UDP source port for an inner flow, in Linux's
 * default ephemeral range 32768-60999 (60999 itself is never produced, as in
 * Linux's scaling). Linux hashes with a per-boot random seed (`skb_get_hash`),
 * so a real capture shows a different port; the same flow always gets the
 * same port here and on a given Linux host.
 *
 * @param flow The inner flow's 5-tuple.
 * @returns A port in [32768, 60999).
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { IP_PROTOCOL, udpSourcePortFor } from "./mod.js";
 * const port = udpSourcePortFor({
 *   src: Addr.mustParse("10.244.1.2"), dst: Addr.mustParse("10.244.2.3"),
 *   protocol: IP_PROTOCOL.tcp, srcPort: 43512, dstPort: 80,
 * });
 * port >= 32768 && port < 60999; // true
 * ```
 */
export function udpSourcePortFor(flow: FlowKey): number {
  return sourcePortFromHash(fnv1a(flowKeyBytes(flow)));
}
