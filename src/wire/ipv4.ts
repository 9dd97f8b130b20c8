/**
 * IPv4 header without options (RFC 791): 20 bytes. The checksum is computed
 * on encode and verified on decode, so it is not a field of the header value.
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { checkField, hex16, needBytes, viewOf } from "./bytes.js";
import { internetChecksum } from "./checksum.js";
import type { Decoded } from "./decoded.js";
import { type WireError, wireError } from "./error.js";

/** Length of an IPv4 header without options in bytes. */
export const IPV4_HEADER_LEN = 20;

/** IP protocol numbers of the transports the wire layer knows. */
export const IP_PROTOCOL = { icmp: 1, tcp: 6, udp: 17 } as const;

const FLAG_RESERVED = 0x8000;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const CHECKSUM_AT = 10;

/** An IPv4 header without options. */
export interface Ipv4Header {
  /** The whole second byte: DSCP (6 bits) and ECN (2 bits). */
  readonly tos: number;
  /** Total length of the packet, header included. */
  readonly length: number;
  /** Identification, used to reassemble fragments. */
  readonly id: number;
  /** Don't Fragment. */
  readonly df: boolean;
  /** More Fragments. */
  readonly mf: boolean;
  /** Fragment offset in units of 8 bytes (13 bits). */
  readonly fragOffset: number;
  /** Time to live: routers decrement it and drop the packet at 0. */
  readonly ttl: number;
  /** 1 ICMP, 6 TCP, 17 UDP: see {@linkcode IP_PROTOCOL}. */
  readonly protocol: number;
  /** Source address. */
  readonly src: Addr;
  /** Destination address. */
  readonly dst: Addr;
}

function checkIpv4Fields(h: Ipv4Header): void {
  checkField("IPv4 tos", h.tos, 8);
  checkField("IPv4 length", h.length, 16);
  checkField("IPv4 id", h.id, 16);
  checkField("IPv4 fragOffset", h.fragOffset, 13);
  checkField("IPv4 ttl", h.ttl, 8);
  checkField("IPv4 protocol", h.protocol, 8);
}

function flagsAndOffset(h: Ipv4Header): number {
  return (h.df ? FLAG_DF : 0) | (h.mf ? FLAG_MF : 0) | h.fragOffset;
}

/**
 * Writes an IPv4 header at `offset` of `view`, checksum included.
 *
 * @throws {RangeError} If a numeric field does not fit its width.
 */
export function writeIpv4(view: DataView, offset: number, h: Ipv4Header): void {
  checkIpv4Fields(h);
  view.setUint8(offset, 0x45);
  view.setUint8(offset + 1, h.tos);
  view.setUint16(offset + 2, h.length);
  view.setUint16(offset + 4, h.id);
  view.setUint16(offset + 6, flagsAndOffset(h));
  view.setUint8(offset + 8, h.ttl);
  view.setUint8(offset + 9, h.protocol);
  view.setUint16(offset + CHECKSUM_AT, 0);
  view.setUint32(offset + 12, h.src.value);
  view.setUint32(offset + 16, h.dst.value);
  const header = new Uint8Array(view.buffer, view.byteOffset + offset, IPV4_HEADER_LEN);
  view.setUint16(offset + CHECKSUM_AT, internetChecksum(header));
}

/**
 * Encodes an IPv4 header (version 4, IHL 5) and fills in its checksum.
 * Fields are written as given: a `length` that disagrees with the payload
 * makes bytes that {@linkcode decodeFrame} rejects.
 *
 * @param h The header.
 * @returns 20 bytes.
 * @throws {RangeError} If a numeric field does not fit its width.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { encodeIpv4 } from "./mod.js";
 * const bytes = encodeIpv4({
 *   tos: 0, length: 0x73, id: 0, df: true, mf: false, fragOffset: 0,
 *   ttl: 64, protocol: 17,
 *   src: Addr.mustParse("192.168.0.1"), dst: Addr.mustParse("192.168.0.199"),
 * });
 * (bytes[10] << 8 | bytes[11]).toString(16); // "b861"
 * ```
 */
export function encodeIpv4(h: Ipv4Header): Uint8Array {
  const bytes = new Uint8Array(IPV4_HEADER_LEN);
  writeIpv4(viewOf(bytes), 0, h);
  return bytes;
}

/** Version and IHL checks, in the order Linux's `ip_rcv_core` makes them. */
function checkVersionAndIhl(bytes: Uint8Array, offset: number): Result<void, WireError> {
  const version = bytes[offset] >> 4;
  const ihl = bytes[offset] & 0x0f;
  if (version !== 4) {
    return err(wireError("ipv4", offset, "bad-version", `Version is ${version}, expected 4`));
  }
  if (ihl < 5) {
    return err(
      wireError("ipv4", offset, "bad-header-length", `IHL is ${ihl} words, at least 5 needed`),
    );
  }
  if (ihl > 5) {
    return err(
      wireError("ipv4", offset, "unsupported", `IHL is ${ihl} words: IPv4 options are not decoded`),
    );
  }
  return ok(undefined);
}

function checkHeaderChecksum(bytes: Uint8Array, offset: number): Result<void, WireError> {
  const header = bytes.subarray(offset, offset + IPV4_HEADER_LEN);
  if (internetChecksum(header) === 0) return ok(undefined);
  const stored = (header[CHECKSUM_AT] << 8) | header[CHECKSUM_AT + 1];
  const zeroed = Uint8Array.from(header);
  zeroed[CHECKSUM_AT] = 0;
  zeroed[CHECKSUM_AT + 1] = 0;
  const expected = internetChecksum(zeroed);
  return err(
    wireError(
      "ipv4",
      offset + CHECKSUM_AT,
      "bad-checksum",
      `Header checksum is ${hex16(stored)}, expected ${hex16(expected)}`,
    ),
  );
}

function readIpv4(view: DataView, offset: number): Ipv4Header {
  const flags = view.getUint16(offset + 6);
  return {
    tos: view.getUint8(offset + 1),
    length: view.getUint16(offset + 2),
    id: view.getUint16(offset + 4),
    df: (flags & FLAG_DF) !== 0,
    mf: (flags & FLAG_MF) !== 0,
    fragOffset: flags & 0x1fff,
    ttl: view.getUint8(offset + 8),
    protocol: view.getUint8(offset + 9),
    src: Addr.fromUint32(view.getUint32(offset + 12)),
    dst: Addr.fromUint32(view.getUint32(offset + 16)),
  };
}

function checkFlagsAndLength(
  h: Ipv4Header,
  view: DataView,
  offset: number,
): Result<void, WireError> {
  if ((view.getUint16(offset + 6) & FLAG_RESERVED) !== 0) {
    return err(wireError("ipv4", offset + 6, "bad-flags", "Reserved flag bit is set"));
  }
  if (h.length < IPV4_HEADER_LEN) {
    return err(
      wireError("ipv4", offset + 2, "bad-length", `Total length ${h.length} is below 20`),
    );
  }
  return ok(undefined);
}

/**
 * Decodes and verifies an IPv4 header: version 4, IHL 5 (options are not
 * decoded), a correct checksum, the reserved flag clear and a total length of
 * at least 20. Whether `length` matches the bytes that follow is the frame
 * decoder's check, since a header alone has no payload.
 *
 * @param bytes The input.
 * @param offset Where the header starts.
 * @returns The header and the offset of its payload, or an error naming the field.
 * @example
 * ```ts
 * import { decodeIpv4 } from "./mod.js";
 * const bytes = Uint8Array.from([
 *   0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
 *   0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
 * ]);
 * const r = decodeIpv4(bytes, 0);
 * r.ok && r.value.header.dst.toString(); // "192.168.0.199"
 * ```
 */
export function decodeIpv4(
  bytes: Uint8Array,
  offset: number,
): Result<Decoded<Ipv4Header>, WireError> {
  const room = needBytes(bytes, offset, {
    layer: "ipv4",
    length: IPV4_HEADER_LEN,
    what: "IPv4 header",
  });
  if (!room.ok) return err(room.error);
  const shape = checkVersionAndIhl(bytes, offset);
  if (!shape.ok) return err(shape.error);
  const checksum = checkHeaderChecksum(bytes, offset);
  if (!checksum.ok) return err(checksum.error);
  const view = viewOf(bytes);
  const header = readIpv4(view, offset);
  const sane = checkFlagsAndLength(header, view, offset);
  if (!sane.ok) return err(sane.error);
  return ok({ header, next: offset + IPV4_HEADER_LEN });
}
