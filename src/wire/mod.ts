/**
 * The packet formats layer (smoltcp's `wire/`): byte-exact encoders and
 * decoders for the headers a pod's packet wears on its way across a cluster.
 *
 * - {@linkcode encodeEthernet} / {@linkcode decodeEthernet}: Ethernet II, 14 bytes.
 * - {@linkcode encodeIpv4} / {@linkcode decodeIpv4}: IPv4 without options, 20
 *   bytes, checksum computed on encode and verified on decode.
 * - {@linkcode encodeUdp} / {@linkcode decodeUdp}: UDP, 8 bytes, checksum
 *   optional (0 as Linux VXLAN sends it).
 * - {@linkcode encodeTcp} / {@linkcode decodeTcp}: TCP without options, 20
 *   bytes, checksum over the pseudo-header.
 * - {@linkcode encodeIcmp} / {@linkcode decodeIcmp}: echo request and reply,
 *   destination unreachable (net, host, port, fragmentation needed with the
 *   next-hop MTU, admin prohibited) and time exceeded.
 * - {@linkcode encodeVxlan} / {@linkcode decodeVxlan}: VXLAN, 8 bytes.
 *
 * Above the headers: a {@linkcode Frame} value (Ethernet + IPv4 + transport
 * header + payload) with {@linkcode frameOf}, {@linkcode encodeFrame} and
 * {@linkcode decodeFrame}; VXLAN encapsulation as pure functions
 * ({@linkcode vxlanEncapsulate}, {@linkcode vxlanDecapsulate},
 * {@linkcode udpSourcePortFor}); and {@linkcode hexdump} for lessons.
 *
 * Conventions. Header values are plain read-only data; checksums are not
 * fields, they are computed on encode and verified on decode. Every decoder
 * takes `(bytes, offset)` and returns a {@linkcode Result}: on success the
 * header and `next`, the offset where the next layer starts; on failure a
 * {@linkcode WireError} naming the layer, the byte offset and the problem.
 * Decoders never throw, whatever the bytes. Encoders throw a `RangeError`
 * only when the program hands them a field that does not fit its width — a
 * bug, not input. Decoding is strict so that `encode(decode(b))` gives back
 * `b`: options, fragments, reserved bits and unknown ICMP types are errors.
 *
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { decodeFrame, encodeFrame, fillPayload, frameOf, vxlanEncapsulate } from "./mod.js";
 * const inner = encodeFrame(frameOf({
 *   srcMac: Mac.mustParse("0a:58:0a:f4:01:02"), dstMac: Mac.mustParse("0a:58:0a:f4:02:01"),
 *   src: Addr.mustParse("10.244.1.2"), dst: Addr.mustParse("10.244.2.3"),
 *   transport: { kind: "icmp", header: { kind: "echo-request", id: 1, seq: 1 } },
 *   payload: fillPayload(56),
 * }));
 * const outer = vxlanEncapsulate(inner, {
 *   vni: 1,
 *   outerSrcMac: Mac.mustParse("52:54:00:00:00:0b"), outerDstMac: Mac.mustParse("52:54:00:00:00:0c"),
 *   outerSrc: Addr.mustParse("192.168.0.11"), outerDst: Addr.mustParse("192.168.0.12"),
 * });
 * decodeFrame(outer).ok; // true: a UDP datagram to port 8472
 * ```
 *
 * @module
 */
export type { Decoded } from "./decoded.js";
export { formatWireError, type WireError, type WireLayer, type WireProblem } from "./error.js";
export { internetChecksum, type PseudoHeader } from "./checksum.js";
export {
  decodeEthernet,
  encodeEthernet,
  ETHERNET_HEADER_LEN,
  type EthernetHeader,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
} from "./ethernet.js";
export { decodeIpv4, encodeIpv4, IP_PROTOCOL, IPV4_HEADER_LEN, type Ipv4Header } from "./ipv4.js";
export {
  IPIP_OVERHEAD,
  IPIP_PROTOCOL,
  ipipDecapsulate,
  type IpipDecapsulated,
  ipipEncapsulate,
  type IpipEncapsulation,
} from "./ipip.js";
export { decodeUdp, encodeUdp, UDP_HEADER_LEN, type UdpHeader, type UdpSegment } from "./udp.js";
export {
  decodeTcp,
  encodeTcp,
  TCP_HEADER_LEN,
  type TcpFlagName,
  type TcpFlags,
  tcpFlags,
  type TcpHeader,
  type TcpSegment,
} from "./tcp.js";
export {
  decodeIcmp,
  encodeIcmp,
  ICMP_HEADER_LEN,
  type IcmpEncodeOptions,
  icmpErrorQuote,
  type IcmpHeader,
  type UnreachableReason,
} from "./icmp.js";
export {
  decodeFrame,
  encodeFrame,
  fillPayload,
  type Frame,
  frameOf,
  type FrameSpec,
  type Transport,
  transportHeaderLength,
  type TransportSpec,
} from "./frame.js";
export { EPHEMERAL_PORT_RANGE, type FlowKey, flowKeyOf, udpSourcePortFor } from "./flow.js";
export {
  type Decapsulated,
  decodeVxlan,
  encodeVxlan,
  VXLAN_HEADER_LEN,
  VXLAN_OVERHEAD,
  VXLAN_PORT_IANA,
  VXLAN_PORT_LINUX,
  vxlanDecapsulate,
  vxlanEncapsulate,
  type VxlanEncapsulation,
  type VxlanHeader,
} from "./vxlan.js";
export {
  type ByteSpan,
  hexdump,
  type HexdumpOptions,
  type HexdumpRow,
  type LayerSpanOptions,
  layerSpans,
  type SpanLayer,
} from "./hexdump.js";
