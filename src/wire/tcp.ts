/**
 * TCP header without options (RFC 9293): 20 bytes. The checksum covers a
 * pseudo-header (addresses, protocol 6, segment length), the header and the
 * data; it is computed on encode and verified on decode.
 *
 * @module
 */
import { err, ok, type Result } from "../result.js";
import { checkField, hex16, needBytes, viewOf } from "./bytes.js";
import {
  foldAndComplement,
  type PseudoHeader,
  pseudoHeaderSum,
  segmentChecksum,
  sumWords,
} from "./checksum.js";
import type { Decoded } from "./decoded.js";
import { type WireError, wireError } from "./error.js";
import { IP_PROTOCOL } from "./ipv4.js";

/** Length of a TCP header without options in bytes. */
export const TCP_HEADER_LEN = 20;

const CHECKSUM_AT = 16;

/** The eight TCP control bits of byte 13. */
export interface TcpFlags {
  /** Congestion window reduced. */
  readonly cwr: boolean;
  /** ECN echo. */
  readonly ece: boolean;
  /** The urgent pointer is significant. */
  readonly urg: boolean;
  /** The acknowledgment number is significant. */
  readonly ack: boolean;
  /** Push. */
  readonly psh: boolean;
  /** Reset the connection. */
  readonly rst: boolean;
  /** Synchronize sequence numbers (open). */
  readonly syn: boolean;
  /** No more data from the sender (close). */
  readonly fin: boolean;
}

/** A TCP control bit's name. */
export type TcpFlagName = keyof TcpFlags;

/** Flag names from the most significant bit of byte 13 down. */
const FLAG_ORDER: readonly TcpFlagName[] = ["cwr", "ece", "urg", "ack", "psh", "rst", "syn", "fin"];

/** A TCP header without options. */
export interface TcpHeader {
  /** Source port. */
  readonly srcPort: number;
  /** Destination port. */
  readonly dstPort: number;
  /** Sequence number (32 bits). */
  readonly seq: number;
  /** Acknowledgment number (32 bits); meaningful when `flags.ack`. */
  readonly ack: number;
  /** The control bits. */
  readonly flags: TcpFlags;
  /** Receive window (16 bits, unscaled). */
  readonly window: number;
  /** Urgent pointer (16 bits); meaningful when `flags.urg`. */
  readonly urgent: number;
}

/** What a TCP checksum covers besides the header: addresses and data. */
export interface TcpSegment extends PseudoHeader {
  /** The data after the header; empty when omitted. */
  readonly payload?: Uint8Array;
}

/**
 * The flags with exactly the named bits set.
 *
 * @param names Flags to set, e.g. `"syn", "ack"`.
 * @returns A {@linkcode TcpFlags} value.
 * @example
 * ```ts
 * import { tcpFlags } from "./mod.js";
 * tcpFlags("syn", "ack").syn; // true
 * tcpFlags().fin; // false
 * ```
 */
export function tcpFlags(...names: readonly TcpFlagName[]): TcpFlags {
  const set = new Set(names);
  const entries = FLAG_ORDER.map((name) => [name, set.has(name)] as const);
  return Object.fromEntries(entries) as unknown as TcpFlags;
}

function flagsToByte(flags: TcpFlags): number {
  return FLAG_ORDER.reduce((byte, name) => (byte << 1) | (flags[name] ? 1 : 0), 0);
}

function flagsFromByte(byte: number): TcpFlags {
  return tcpFlags(...FLAG_ORDER.filter((_, i) => (byte & (0x80 >> i)) !== 0));
}

function checkTcpFields(h: TcpHeader): void {
  checkField("TCP srcPort", h.srcPort, 16);
  checkField("TCP dstPort", h.dstPort, 16);
  checkField("TCP seq", h.seq, 32);
  checkField("TCP ack", h.ack, 32);
  checkField("TCP window", h.window, 16);
  checkField("TCP urgent", h.urgent, 16);
}

/**
 * Writes a TCP header at `offset` of `view` with a zero checksum field.
 *
 * @throws {RangeError} If a numeric field does not fit its width.
 */
export function writeTcp(view: DataView, offset: number, h: TcpHeader): void {
  checkTcpFields(h);
  view.setUint16(offset, h.srcPort);
  view.setUint16(offset + 2, h.dstPort);
  view.setUint32(offset + 4, h.seq);
  view.setUint32(offset + 8, h.ack);
  view.setUint8(offset + 12, (TCP_HEADER_LEN / 4) << 4);
  view.setUint8(offset + 13, flagsToByte(h.flags));
  view.setUint16(offset + 14, h.window);
  view.setUint16(offset + CHECKSUM_AT, 0);
  view.setUint16(offset + 18, h.urgent);
}

/** The TCP checksum over the pseudo-header and the segment's parts. */
export function tcpChecksum(
  addrs: PseudoHeader,
  segment: { readonly length: number; readonly parts: readonly Uint8Array[] },
): number {
  const pseudo = { ...addrs, protocol: IP_PROTOCOL.tcp, length: segment.length };
  return segmentChecksum(pseudo, segment.parts);
}

/**
 * Encodes a TCP header (data offset 5) with its checksum over the
 * pseudo-header, the header and `payload`.
 *
 * @param h The header.
 * @param segment The IPv4 addresses and the data that follows the header.
 * @returns 20 bytes.
 * @throws {RangeError} If a numeric field does not fit its width.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { encodeTcp, tcpFlags } from "./mod.js";
 * const bytes = encodeTcp(
 *   { srcPort: 43512, dstPort: 80, seq: 1, ack: 0, flags: tcpFlags("syn"), window: 64240, urgent: 0 },
 *   { src: Addr.mustParse("10.244.1.2"), dst: Addr.mustParse("10.244.2.3") },
 * );
 * bytes[13]; // 2 (SYN)
 * ```
 */
export function encodeTcp(h: TcpHeader, segment: TcpSegment): Uint8Array {
  const bytes = new Uint8Array(TCP_HEADER_LEN);
  const view = viewOf(bytes);
  writeTcp(view, 0, h);
  const payload = segment.payload ?? new Uint8Array(0);
  const length = TCP_HEADER_LEN + payload.length;
  view.setUint16(CHECKSUM_AT, tcpChecksum(segment, { length, parts: [bytes, payload] }));
  return bytes;
}

function checkDataOffset(bytes: Uint8Array, offset: number): Result<void, WireError> {
  const words = bytes[offset + 12] >> 4;
  if (words < 5) {
    return err(
      wireError(
        "tcp",
        offset + 12,
        "bad-header-length",
        `Data offset is ${words} words, at least 5 needed`,
      ),
    );
  }
  if (words > 5) {
    return err(
      wireError(
        "tcp",
        offset + 12,
        "unsupported",
        `Data offset is ${words} words: TCP options are not decoded`,
      ),
    );
  }
  if ((bytes[offset + 12] & 0x0f) !== 0) {
    return err(wireError("tcp", offset + 12, "bad-flags", "Reserved bits of byte 12 are set"));
  }
  return ok(undefined);
}

function checkTcpChecksum(
  segment: Uint8Array,
  offset: number,
  addrs: PseudoHeader,
): Result<void, WireError> {
  const pseudo = { ...addrs, protocol: IP_PROTOCOL.tcp, length: segment.length };
  if (foldAndComplement(sumWords(segment, pseudoHeaderSum(pseudo, pseudo))) === 0) {
    return ok(undefined);
  }
  const stored = (segment[CHECKSUM_AT] << 8) | segment[CHECKSUM_AT + 1];
  const zeroed = Uint8Array.from(segment);
  zeroed.fill(0, CHECKSUM_AT, CHECKSUM_AT + 2);
  const expected = tcpChecksum(addrs, { length: segment.length, parts: [zeroed] });
  return err(
    wireError(
      "tcp",
      offset + CHECKSUM_AT,
      "bad-checksum",
      `Checksum is ${hex16(stored)}, expected ${hex16(expected)}`,
    ),
  );
}

function readTcp(view: DataView, offset: number): TcpHeader {
  return {
    srcPort: view.getUint16(offset),
    dstPort: view.getUint16(offset + 2),
    seq: view.getUint32(offset + 4),
    ack: view.getUint32(offset + 8),
    flags: flagsFromByte(view.getUint8(offset + 13)),
    window: view.getUint16(offset + 14),
    urgent: view.getUint16(offset + 18),
  };
}

/**
 * Decodes a TCP header (data offset 5; options are not decoded) and verifies
 * its checksum. The segment runs from `offset` to the end of `bytes`, so pass
 * exactly the IPv4 payload.
 *
 * @param bytes The input, ending where the segment ends.
 * @param offset Where the header starts.
 * @param addrs The source and destination of the enclosing IPv4 header.
 * @returns The header and the offset of its data, or an error naming the field.
 * @example
 * ```ts
 * import { Addr } from "../addr/mod.js";
 * import { decodeTcp, encodeTcp, tcpFlags } from "./mod.js";
 * const addrs = { src: Addr.mustParse("10.0.0.1"), dst: Addr.mustParse("10.0.0.2") };
 * const h = { srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: tcpFlags("ack"), window: 5, urgent: 0 };
 * const r = decodeTcp(encodeTcp(h, addrs), 0, addrs);
 * r.ok && r.value.header.seq; // 3
 * ```
 */
export function decodeTcp(
  bytes: Uint8Array,
  offset: number,
  addrs: PseudoHeader,
): Result<Decoded<TcpHeader>, WireError> {
  const room = needBytes(bytes, offset, {
    layer: "tcp",
    length: TCP_HEADER_LEN,
    what: "TCP header",
  });
  if (!room.ok) return err(room.error);
  const shape = checkDataOffset(bytes, offset);
  if (!shape.ok) return err(shape.error);
  const checksum = checkTcpChecksum(bytes.subarray(offset), offset, addrs);
  if (!checksum.ok) return err(checksum.error);
  return ok({ header: readTcp(viewOf(bytes), offset), next: offset + TCP_HEADER_LEN });
}
