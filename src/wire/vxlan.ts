/**
 * VXLAN (RFC 7348): an 8-byte header (flags 0x08 = "VNI valid", a 24-bit
 * VNI, the rest reserved) in a UDP datagram, and encapsulation as a pure
 * function. The outer packet is the inner frame plus 50 bytes — outer
 * Ethernet 14, IPv4 20, UDP 8, VXLAN 8 — and its IPv4 packet is exactly 50
 * bytes longer than the inner IPv4 packet (inner Ethernet 14 + 20 + 8 + 8),
 * which is why flannel's VXLAN pods get an MTU 50 below the node's.
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { checkField, concatBytes, needBytes, viewOf } from "./bytes.js";
import type { Decoded } from "./decoded.js";
import { type WireError, wireError } from "./error.js";
import { ETHERNET_HEADER_LEN, type EthernetHeader } from "./ethernet.js";
import { flowKeyOf, fnv1a, sourcePortFromHash, udpSourcePortFor } from "./flow.js";
import { decodeFrame, encodeFrame, frameOf } from "./frame.js";
import { IPV4_HEADER_LEN, type Ipv4Header } from "./ipv4.js";
import { UDP_HEADER_LEN, type UdpHeader } from "./udp.js";

/** Length of a VXLAN header in bytes. */
export const VXLAN_HEADER_LEN = 8;

/**
 * Bytes VXLAN adds in front of the inner IPv4 packet: the inner Ethernet
 * header, then the outer IPv4, UDP and VXLAN headers (14 + 20 + 8 + 8 = 50).
 * The one definition every layer uses: the tunnel, MTU limits, builders,
 * the verifier.
 */
export const VXLAN_OVERHEAD = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN +
  VXLAN_HEADER_LEN;

/** The IANA VXLAN port (RFC 7348). */
export const VXLAN_PORT_IANA = 4789;

/** Linux's default VXLAN port when `dstport` is not given; flannel uses it. */
export const VXLAN_PORT_LINUX = 8472;

const FLAG_VNI_VALID = 0x08;
const OUTER_HEADERS_LEN = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN + UDP_HEADER_LEN;

/** A VXLAN header: the VXLAN Network Identifier. */
export interface VxlanHeader {
  /** 24 bits; flannel uses 1. */
  readonly vni: number;
}

/**
 * Encodes a VXLAN header: flags 0x08, reserved bytes zero.
 *
 * @param h The header.
 * @returns 8 bytes.
 * @throws {RangeError} If the VNI does not fit 24 bits.
 * @example
 * ```ts
 * import { encodeVxlan } from "./mod.js";
 * encodeVxlan({ vni: 1 }); // 08 00 00 00 00 00 01 00
 * ```
 */
export function encodeVxlan(h: VxlanHeader): Uint8Array {
  checkField("VXLAN vni", h.vni, 24);
  const bytes = new Uint8Array(VXLAN_HEADER_LEN);
  const view = viewOf(bytes);
  view.setUint8(0, FLAG_VNI_VALID);
  view.setUint32(4, (h.vni << 8) >>> 0);
  return bytes;
}

function checkVxlanFlags(bytes: Uint8Array, offset: number): Result<void, WireError> {
  const flags = bytes[offset];
  if (flags !== FLAG_VNI_VALID) {
    const found = `0x${flags.toString(16).padStart(2, "0")}`;
    return err(wireError("vxlan", offset, "bad-flags", `Flags are ${found}, expected 0x08`));
  }
  const reserved = [1, 2, 3, 7].find((i) => bytes[offset + i] !== 0);
  if (reserved === undefined) return ok(undefined);
  return err(
    wireError(
      "vxlan",
      offset + reserved,
      "reserved-not-zero",
      `Reserved byte ${reserved} is not 0`,
    ),
  );
}

/**
 * Decodes a VXLAN header: flags must be exactly 0x08 and the reserved bytes
 * 0, so that re-encoding gives the same bytes.
 *
 * @param bytes The input.
 * @param offset Where the header starts.
 * @returns The header and the offset of the inner frame, or an error.
 * @example
 * ```ts
 * import { decodeVxlan } from "./mod.js";
 * const r = decodeVxlan(Uint8Array.from([8, 0, 0, 0, 0, 0, 1, 0]), 0);
 * r.ok && r.value.header.vni; // 1
 * ```
 */
export function decodeVxlan(
  bytes: Uint8Array,
  offset: number,
): Result<Decoded<VxlanHeader>, WireError> {
  const room = needBytes(bytes, offset, {
    layer: "vxlan",
    length: VXLAN_HEADER_LEN,
    what: "VXLAN header",
  });
  if (!room.ok) return err(room.error);
  const flags = checkVxlanFlags(bytes, offset);
  if (!flags.ok) return err(flags.error);
  const vni = viewOf(bytes).getUint32(offset + 4) >>> 8;
  return ok({ header: { vni }, next: offset + VXLAN_HEADER_LEN });
}

/** The outer headers and VNI of {@linkcode vxlanEncapsulate}; the rest has defaults. */
export interface VxlanEncapsulation {
  /** VXLAN Network Identifier, 24 bits. */
  readonly vni: number;
  /** The MAC of the underlay NIC the packet leaves by. */
  readonly outerSrcMac: Mac;
  /** The underlay next hop's MAC (the remote node's NIC on a flat underlay). */
  readonly outerDstMac: Mac;
  /** The local VTEP address (`local`). */
  readonly outerSrc: Addr;
  /** The remote VTEP address (from the VXLAN FDB). */
  readonly outerDst: Addr;
  /** Default: {@linkcode udpSourcePortFor} of the inner flow. */
  readonly srcPort?: number;
  /** Default {@linkcode VXLAN_PORT_LINUX} (8472). */
  readonly dstPort?: number;
  /** Default 64 (`ttl` unset: the route's hop limit). */
  readonly ttl?: number;
  /** Default false: Linux VXLAN leaves DF clear unless `df set`. */
  readonly df?: boolean;
  /** Default 0 (Linux picks a counter; 0 keeps the output deterministic). */
  readonly id?: number;
  /** Default 0 (`tos` unset). */
  readonly tos?: number;
  /** Default false: Linux sends VXLAN over IPv4 without UDP checksum (`noudpcsum`). */
  readonly udpChecksum?: boolean;
}

/**
 * The outer UDP source port Linux would derive from an inner frame: its flow
 * key when it decodes, else a hash of its Ethernet addresses (Linux's
 * fallback when no flow hash can be found).
 */
function defaultSourcePort(inner: Uint8Array): number {
  const frame = decodeFrame(inner);
  if (frame.ok) return udpSourcePortFor(flowKeyOf(frame.value));
  return sourcePortFromHash(fnv1a(inner.subarray(0, 12)));
}

/**
 * Wraps an inner Ethernet frame in outer Ethernet, IPv4, UDP and VXLAN
 * headers, as a VXLAN device (`flannel.1`) does. The result is
 * `inner.length + 50` bytes; its IPv4 total length is the inner IPv4 total
 * length + 50.
 *
 * @param inner The inner frame, from its destination MAC on.
 * @param options VNI, outer addresses and optional outer header fields.
 * @returns The outer frame.
 * @throws {RangeError} If `inner` is shorter than an Ethernet header, the outer
 *   packet would exceed 65535 bytes, or a field does not fit its width.
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { vxlanEncapsulate } from "./mod.js";
 * const outer = vxlanEncapsulate(new Uint8Array(98), {
 *   vni: 1,
 *   outerSrcMac: Mac.mustParse("52:54:00:00:00:0b"), outerDstMac: Mac.mustParse("52:54:00:00:00:0c"),
 *   outerSrc: Addr.mustParse("192.168.0.11"), outerDst: Addr.mustParse("192.168.0.12"),
 * });
 * outer.length; // 148
 * ```
 */
export function vxlanEncapsulate(inner: Uint8Array, options: VxlanEncapsulation): Uint8Array {
  if (inner.length < ETHERNET_HEADER_LEN) {
    throw new RangeError(`Inner frame is ${inner.length} bytes, shorter than an Ethernet header`);
  }
  const udp = {
    srcPort: options.srcPort ?? defaultSourcePort(inner),
    dstPort: options.dstPort ?? VXLAN_PORT_LINUX,
    checksummed: options.udpChecksum ?? false,
  };
  return encodeFrame(frameOf({
    srcMac: options.outerSrcMac,
    dstMac: options.outerDstMac,
    src: options.outerSrc,
    dst: options.outerDst,
    transport: { kind: "udp", header: udp },
    payload: concatBytes([encodeVxlan({ vni: options.vni }), inner]),
    ttl: options.ttl ?? 64,
    id: options.id ?? 0,
    df: options.df ?? false,
    tos: options.tos ?? 0,
  }));
}

/** What {@linkcode vxlanDecapsulate} finds. */
export interface Decapsulated {
  /** VXLAN Network Identifier. */
  readonly vni: number;
  /** The outer Ethernet, IPv4 and UDP headers. */
  readonly outer: {
    readonly ethernet: EthernetHeader;
    readonly ipv4: Ipv4Header;
    readonly udp: UdpHeader;
  };
  /** A copy of the inner frame, from its destination MAC on. */
  readonly inner: Uint8Array;
}

function requireInnerEthernet(bytes: Uint8Array, at: number): Result<void, WireError> {
  const length = bytes.length - at;
  if (length >= ETHERNET_HEADER_LEN) return ok(undefined);
  return err(
    wireError(
      "vxlan",
      at,
      "truncated",
      `Inner frame is ${length} bytes, shorter than an Ethernet header`,
    ),
  );
}

/**
 * Unwraps a VXLAN packet: the outer frame must decode (IPv4 total length and
 * UDP length agree with the bytes, checksums verify, UDP checksum 0 allowed),
 * carry UDP, have VXLAN flags 0x08, and hold at least an inner Ethernet
 * header. The UDP destination port is not checked: which port is VXLAN is the
 * receiving device's setting. The inner frame is returned undecoded.
 *
 * @param bytes The outer frame.
 * @returns The VNI, the outer headers and the inner frame, or the first error.
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { vxlanDecapsulate, vxlanEncapsulate } from "./mod.js";
 * const outer = vxlanEncapsulate(new Uint8Array(60), {
 *   vni: 7, outerSrcMac: Mac.zero, outerDstMac: Mac.broadcast,
 *   outerSrc: Addr.mustParse("192.168.0.11"), outerDst: Addr.mustParse("192.168.0.12"),
 * });
 * const r = vxlanDecapsulate(outer);
 * r.ok && [r.value.vni, r.value.inner.length]; // [7, 60]
 * ```
 */
export function vxlanDecapsulate(bytes: Uint8Array): Result<Decapsulated, WireError> {
  const frame = decodeFrame(bytes);
  if (!frame.ok) return err(frame.error);
  const { ethernet, ipv4, transport } = frame.value;
  if (transport.kind !== "udp") {
    const message = `Protocol ${ipv4.protocol} is not UDP, so not VXLAN`;
    return err(wireError("ipv4", ETHERNET_HEADER_LEN + 9, "unsupported", message));
  }
  const vxlan = decodeVxlan(bytes, OUTER_HEADERS_LEN);
  if (!vxlan.ok) return err(vxlan.error);
  const inner = requireInnerEthernet(bytes, vxlan.value.next);
  if (!inner.ok) return err(inner.error);
  return ok({
    vni: vxlan.value.header.vni,
    outer: { ethernet, ipv4, udp: transport.header },
    inner: bytes.slice(vxlan.value.next),
  });
}
