/**
 * A whole frame as one value: Ethernet II, IPv4 (no options, not a
 * fragment), one transport header (UDP, TCP or ICMP) and the payload bytes.
 * {@linkcode frameOf} derives the length and protocol fields from the parts;
 * {@linkcode encodeFrame} writes every field as given and fills in the
 * checksums; {@linkcode decodeFrame} checks every layer against the next.
 *
 * @module
 */
import type { Addr, Mac } from "../addr/mod.js";
import { match } from "ts-pattern";
import { err, ok, type Result } from "../result.js";
import { hex16, viewOf } from "./bytes.js";
import type { PseudoHeader } from "./checksum.js";
import type { Decoded } from "./decoded.js";
import { type WireError, wireError } from "./error.js";
import {
  decodeEthernet,
  ETHERNET_HEADER_LEN,
  type EthernetHeader,
  ETHERTYPE_IPV4,
  writeEthernet,
} from "./ethernet.js";
import { decodeIcmp, ICMP_HEADER_LEN, icmpChecksum, type IcmpHeader, writeIcmp } from "./icmp.js";
import { decodeIpv4, IP_PROTOCOL, IPV4_HEADER_LEN, type Ipv4Header, writeIpv4 } from "./ipv4.js";
import { decodeTcp, TCP_HEADER_LEN, tcpChecksum, type TcpHeader, writeTcp } from "./tcp.js";
import { decodeUdp, UDP_HEADER_LEN, udpChecksum, type UdpHeader, writeUdp } from "./udp.js";

/** The transport header of a frame, tagged by protocol. */
export type Transport =
  | { readonly kind: "udp"; readonly header: UdpHeader }
  | { readonly kind: "tcp"; readonly header: TcpHeader }
  | { readonly kind: "icmp"; readonly header: IcmpHeader };

/** An Ethernet II frame carrying an unfragmented IPv4 packet. */
export interface Frame {
  /** The Ethernet II header; EtherType 0x0800. */
  readonly ethernet: EthernetHeader;
  /** The IPv4 header; its length covers transport header and payload. */
  readonly ipv4: Ipv4Header;
  /** The UDP, TCP or ICMP header. */
  readonly transport: Transport;
  /** The bytes after the transport header. */
  readonly payload: Uint8Array;
}

/** A transport header without the fields {@linkcode frameOf} derives. */
export type TransportSpec =
  | { readonly kind: "udp"; readonly header: Omit<UdpHeader, "length"> }
  | { readonly kind: "tcp"; readonly header: TcpHeader }
  | { readonly kind: "icmp"; readonly header: IcmpHeader };

/** What {@linkcode frameOf} needs; the rest has Linux defaults. */
export interface FrameSpec {
  /** Source MAC address. */
  readonly srcMac: Mac;
  /** Destination MAC address (the next hop's, not the destination host's). */
  readonly dstMac: Mac;
  /** Source IPv4 address. */
  readonly src: Addr;
  /** Destination IPv4 address. */
  readonly dst: Addr;
  /** The transport header, lengths left out. */
  readonly transport: TransportSpec;
  /** Bytes after the transport header; empty when omitted (see {@linkcode fillPayload}). */
  readonly payload?: Uint8Array;
  /** Default 64, Linux's `net.ipv4.ip_default_ttl`. */
  readonly ttl?: number;
  /** Default 0. */
  readonly id?: number;
  /** Default true: Linux sets DF when path MTU discovery is on (the default). */
  readonly df?: boolean;
  /** Default 0. */
  readonly tos?: number;
}

/**
 * Payload bytes: `length` bytes of `pattern` repeated, or zeros.
 *
 * @param length How many bytes.
 * @param pattern Bytes to repeat; zeros when omitted or empty.
 * @returns A new array.
 * @example
 * ```ts
 * import { fillPayload } from "./mod.js";
 * fillPayload(5, Uint8Array.from([0xab, 0xcd])); // ab cd ab cd ab
 * ```
 */
export function fillPayload(length: number, pattern?: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(length);
  if (pattern === undefined || pattern.length === 0) return bytes;
  for (let i = 0; i < length; i++) bytes[i] = pattern[i % pattern.length];
  return bytes;
}

/**
 * Length in bytes of a transport header of the given kind.
 *
 * @param kind `udp`, `tcp` or `icmp`.
 * @returns 8, 20 or 8.
 * @example
 * ```ts
 * import { transportHeaderLength } from "./mod.js";
 * transportHeaderLength("tcp"); // 20
 * ```
 */
export function transportHeaderLength(kind: Transport["kind"]): number {
  return match(kind)
    .with("udp", () => UDP_HEADER_LEN)
    .with("tcp", () => TCP_HEADER_LEN)
    .with("icmp", () => ICMP_HEADER_LEN)
    .exhaustive();
}

function completeTransport(spec: TransportSpec, payloadLength: number): Transport {
  return match(spec)
    .with({ kind: "udp" }, (u): Transport => ({
      kind: "udp",
      header: { ...u.header, length: UDP_HEADER_LEN + payloadLength },
    }))
    .with({ kind: "tcp" }, (t) => t)
    .with({ kind: "icmp" }, (i) => i)
    .exhaustive();
}

/**
 * Builds a consistent frame: EtherType IPv4, IPv4 total length and protocol,
 * and UDP length follow from the parts.
 *
 * @param spec Addresses, transport header, payload and optional IPv4 fields.
 * @returns The frame.
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { fillPayload, frameOf } from "./mod.js";
 * const ping = frameOf({
 *   srcMac: Mac.mustParse("0a:58:0a:f4:01:02"), dstMac: Mac.mustParse("0a:58:0a:f4:01:01"),
 *   src: Addr.mustParse("10.244.1.2"), dst: Addr.mustParse("10.244.2.3"),
 *   transport: { kind: "icmp", header: { kind: "echo-request", id: 1, seq: 1 } },
 *   payload: fillPayload(56),
 * });
 * ping.ipv4.length; // 84
 * ```
 */
export function frameOf(spec: FrameSpec): Frame {
  const payload = spec.payload ?? new Uint8Array(0);
  const transport = completeTransport(spec.transport, payload.length);
  const segmentLength = transportHeaderLength(transport.kind) + payload.length;
  const ipv4: Ipv4Header = {
    tos: spec.tos ?? 0,
    length: IPV4_HEADER_LEN + segmentLength,
    id: spec.id ?? 0,
    df: spec.df ?? true,
    mf: false,
    fragOffset: 0,
    ttl: spec.ttl ?? 64,
    protocol: IP_PROTOCOL[transport.kind],
    src: spec.src,
    dst: spec.dst,
  };
  const ethernet = { dst: spec.dstMac, src: spec.srcMac, ethertype: ETHERTYPE_IPV4 };
  return { ethernet, ipv4, transport, payload };
}

/** Writes the transport header at `offset` and its checksum over `segment`. */
function writeTransport(
  bytes: Uint8Array,
  offset: number,
  frame: Frame,
): void {
  const view = viewOf(bytes);
  const segment = bytes.subarray(offset);
  const addrs = { src: frame.ipv4.src, dst: frame.ipv4.dst };
  const parts = [segment];
  match(frame.transport)
    .with({ kind: "udp" }, ({ header }) => {
      writeUdp(view, offset, header);
      if (!header.checksummed) return;
      view.setUint16(offset + 6, udpChecksum(addrs, { length: header.length, parts }));
    })
    .with({ kind: "tcp" }, ({ header }) => {
      writeTcp(view, offset, header);
      view.setUint16(offset + 16, tcpChecksum(addrs, { length: segment.length, parts }));
    })
    .with({ kind: "icmp" }, ({ header }) => {
      writeIcmp(view, offset, header);
      view.setUint16(offset + 2, icmpChecksum(parts));
    })
    .exhaustive();
}

/**
 * Encodes a frame byte for byte. Length, protocol and EtherType fields are
 * written as given (build with {@linkcode frameOf} to get them right);
 * checksums are computed.
 *
 * @param frame The frame.
 * @returns Ethernet header, IPv4 header, transport header and payload.
 * @throws {RangeError} If a numeric field does not fit its width.
 * @example
 * ```ts
 * import { Addr, Mac } from "../addr/mod.js";
 * import { encodeFrame, frameOf } from "./mod.js";
 * const bytes = encodeFrame(frameOf({
 *   srcMac: Mac.mustParse("02:00:00:00:00:01"), dstMac: Mac.mustParse("02:00:00:00:00:02"),
 *   src: Addr.mustParse("10.0.0.1"), dst: Addr.mustParse("10.0.0.2"),
 *   transport: { kind: "udp", header: { srcPort: 5000, dstPort: 53, checksummed: true } },
 * }));
 * bytes.length; // 42
 * ```
 */
export function encodeFrame(frame: Frame): Uint8Array {
  const transportAt = ETHERNET_HEADER_LEN + IPV4_HEADER_LEN;
  const payloadAt = transportAt + transportHeaderLength(frame.transport.kind);
  const bytes = new Uint8Array(payloadAt + frame.payload.length);
  const view = viewOf(bytes);
  writeEthernet(view, 0, frame.ethernet);
  writeIpv4(view, ETHERNET_HEADER_LEN, frame.ipv4);
  bytes.set(frame.payload, payloadAt);
  writeTransport(bytes, transportAt, frame);
  return bytes;
}

function requireIpv4Ethertype(ethernet: EthernetHeader): Result<void, WireError> {
  if (ethernet.ethertype === ETHERTYPE_IPV4) return ok(undefined);
  const found = hex16(ethernet.ethertype);
  return err(wireError("ethernet", 12, "unsupported", `EtherType ${found} is not IPv4`));
}

/** The IPv4 total length must account for every byte after the Ethernet header. */
function requireExactLength(bytes: Uint8Array, ipv4: Ipv4Header): Result<void, WireError> {
  const available = bytes.length - ETHERNET_HEADER_LEN;
  if (ipv4.length > available) {
    return err(
      wireError(
        "ipv4",
        ETHERNET_HEADER_LEN,
        "truncated",
        `Total length is ${ipv4.length}, ${available} bytes follow the Ethernet header`,
      ),
    );
  }
  if (ipv4.length < available) {
    return err(
      wireError(
        "ipv4",
        ETHERNET_HEADER_LEN + 2,
        "bad-length",
        `Total length is ${ipv4.length}, ${available} bytes follow the Ethernet header`,
      ),
    );
  }
  return ok(undefined);
}

function requireUnfragmented(ipv4: Ipv4Header): Result<void, WireError> {
  if (!ipv4.mf && ipv4.fragOffset === 0) return ok(undefined);
  return err(
    wireError(
      "ipv4",
      ETHERNET_HEADER_LEN + 6,
      "unsupported",
      `Fragment (MF ${
        ipv4.mf ? 1 : 0
      }, offset ${ipv4.fragOffset}): fragments are not decoded as frames`,
    ),
  );
}

function requireUdpLength(
  header: UdpHeader,
  offset: number,
  ipv4: Ipv4Header,
): Result<void, WireError> {
  const expected = ipv4.length - IPV4_HEADER_LEN;
  if (header.length === expected) return ok(undefined);
  return err(
    wireError(
      "udp",
      offset + 4,
      "bad-length",
      `Length is ${header.length}, the IPv4 payload is ${expected} bytes`,
    ),
  );
}

function decodeUdpTransport(
  bytes: Uint8Array,
  offset: number,
  ipv4: Ipv4Header,
): Result<Decoded<Transport>, WireError> {
  const udp = decodeUdp(bytes, offset, ipv4);
  if (!udp.ok) return err(udp.error);
  const length = requireUdpLength(udp.value.header, offset, ipv4);
  if (!length.ok) return err(length.error);
  return mapHeader(udp, (header): Transport => ({ kind: "udp", header }));
}

function mapHeader<A, B>(
  decoded: Result<Decoded<A>, WireError>,
  f: (header: A) => B,
): Result<Decoded<B>, WireError> {
  if (!decoded.ok) return err(decoded.error);
  return ok({ header: f(decoded.value.header), next: decoded.value.next });
}

function decodeTransport(
  bytes: Uint8Array,
  offset: number,
  ipv4: Ipv4Header,
): Result<Decoded<Transport>, WireError> {
  const addrs: PseudoHeader = ipv4;
  switch (ipv4.protocol) {
    case IP_PROTOCOL.udp:
      return decodeUdpTransport(bytes, offset, ipv4);
    case IP_PROTOCOL.tcp:
      return mapHeader(
        decodeTcp(bytes, offset, addrs),
        (header): Transport => ({ kind: "tcp", header }),
      );
    case IP_PROTOCOL.icmp:
      return mapHeader(
        decodeIcmp(bytes, offset),
        (header): Transport => ({ kind: "icmp", header }),
      );
    default:
      return err(
        wireError(
          "ipv4",
          ETHERNET_HEADER_LEN + 9,
          "unsupported",
          `Protocol ${ipv4.protocol} is not UDP, TCP or ICMP`,
        ),
      );
  }
}

function decodeFrameHeaders(
  bytes: Uint8Array,
): Result<{ ethernet: EthernetHeader; ipv4: Ipv4Header }, WireError> {
  const ethernet = decodeEthernet(bytes, 0);
  if (!ethernet.ok) return err(ethernet.error);
  const ipv4Type = requireIpv4Ethertype(ethernet.value.header);
  if (!ipv4Type.ok) return err(ipv4Type.error);
  const ipv4 = decodeIpv4(bytes, ETHERNET_HEADER_LEN);
  if (!ipv4.ok) return err(ipv4.error);
  const exact = requireExactLength(bytes, ipv4.value.header);
  if (!exact.ok) return err(exact.error);
  const whole = requireUnfragmented(ipv4.value.header);
  if (!whole.ok) return err(whole.error);
  return ok({ ethernet: ethernet.value.header, ipv4: ipv4.value.header });
}

/**
 * Decodes and checks a whole frame: EtherType IPv4, a valid IPv4 header whose
 * total length covers exactly the rest of the bytes (Ethernet padding is not
 * accepted), no fragmentation, a UDP, TCP or ICMP header with a valid
 * checksum, and a UDP length equal to the IPv4 payload length. Never throws.
 *
 * @param bytes One frame, from the destination MAC to the last payload byte.
 * @returns The frame, or the first error found, outermost layer first.
 * @example
 * ```ts
 * import { decodeFrame, formatWireError } from "./mod.js";
 * const r = decodeFrame(new Uint8Array(20));
 * if (!r.ok) console.log(formatWireError(r.error)); // ethernet at byte 12: unsupported: ...
 * ```
 */
export function decodeFrame(bytes: Uint8Array): Result<Frame, WireError> {
  const headers = decodeFrameHeaders(bytes);
  if (!headers.ok) return err(headers.error);
  const { ethernet, ipv4 } = headers.value;
  const transport = decodeTransport(bytes, ETHERNET_HEADER_LEN + IPV4_HEADER_LEN, ipv4);
  if (!transport.ok) return err(transport.error);
  const payload = bytes.slice(transport.value.next);
  return ok({ ethernet, ipv4, transport: transport.value.header, payload });
}
