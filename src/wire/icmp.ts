/**
 * ICMP (RFC 792): the 8-byte header of the messages the simulator predicts —
 * echo request and reply, destination unreachable (net, host, port,
 * fragmentation needed with the next-hop MTU of RFC 1191, administratively
 * prohibited) and time exceeded in transit. The checksum covers the header
 * and the data after it (echo data, or the quoted packet of an error).
 *
 * @module
 */
import { match } from "ts-pattern";
import { err, ok, type Result } from "../result.js";
import { checkField, concatBytes, hex16, needBytes, viewOf } from "./bytes.js";
import { internetChecksum } from "./checksum.js";
import type { Decoded } from "./decoded.js";
import { type WireError, wireError } from "./error.js";
import { IPV4_HEADER_LEN } from "./ipv4.js";

/** Length of an ICMP header in bytes. */
export const ICMP_HEADER_LEN = 8;

const CHECKSUM_AT = 2;
const TYPE = { echoReply: 0, unreachable: 3, echoRequest: 8, timeExceeded: 11 } as const;
const FRAG_NEEDED_CODE = 4;

/** Destination-unreachable codes other than fragmentation needed. */
export type UnreachableReason = "net" | "host" | "port" | "admin-prohibited";

const UNREACHABLE_CODE: Readonly<Record<UnreachableReason, number>> = {
  net: 0,
  host: 1,
  port: 3,
  "admin-prohibited": 13,
};

/** The closed set of ICMP messages the wire layer encodes and decodes. */
export type IcmpHeader =
  | { readonly kind: "echo-request"; readonly id: number; readonly seq: number }
  | { readonly kind: "echo-reply"; readonly id: number; readonly seq: number }
  /** Type 3 with code 0 (net), 1 (host), 3 (port) or 13 (admin prohibited). */
  | { readonly kind: "destination-unreachable"; readonly reason: UnreachableReason }
  /** Type 3 code 4: the packet had DF set and exceeds the next hop's MTU. */
  | { readonly kind: "fragmentation-needed"; readonly nextHopMtu: number }
  /** Type 11 code 0: TTL exceeded in transit. */
  | { readonly kind: "time-exceeded" };

/** Options of {@linkcode encodeIcmp}. */
export interface IcmpEncodeOptions {
  /** The data after the header, covered by the checksum; empty when omitted. */
  readonly payload?: Uint8Array;
}

interface TypeCodeRest {
  readonly type: number;
  readonly code: number;
  /** Bytes 4-7 as a 32-bit number. */
  readonly rest: number;
}

function echoRest(h: { readonly id: number; readonly seq: number }): number {
  checkField("ICMP echo id", h.id, 16);
  checkField("ICMP echo seq", h.seq, 16);
  return h.id * 0x10000 + h.seq;
}

function typeCodeRest(h: IcmpHeader): TypeCodeRest {
  return match(h)
    .with({ kind: "echo-request" }, (e) => ({ type: TYPE.echoRequest, code: 0, rest: echoRest(e) }))
    .with({ kind: "echo-reply" }, (e) => ({ type: TYPE.echoReply, code: 0, rest: echoRest(e) }))
    .with({ kind: "destination-unreachable" }, (u) => ({
      type: TYPE.unreachable,
      code: UNREACHABLE_CODE[u.reason],
      rest: 0,
    }))
    .with({ kind: "fragmentation-needed" }, (f) => {
      checkField("ICMP nextHopMtu", f.nextHopMtu, 16);
      return { type: TYPE.unreachable, code: FRAG_NEEDED_CODE, rest: f.nextHopMtu };
    })
    .with({ kind: "time-exceeded" }, () => ({ type: TYPE.timeExceeded, code: 0, rest: 0 }))
    .exhaustive();
}

/**
 * Writes an ICMP header at `offset` of `view` with a zero checksum field.
 *
 * @throws {RangeError} If a numeric field does not fit 16 bits.
 */
export function writeIcmp(view: DataView, offset: number, h: IcmpHeader): void {
  const { type, code, rest } = typeCodeRest(h);
  view.setUint8(offset, type);
  view.setUint8(offset + 1, code);
  view.setUint16(offset + CHECKSUM_AT, 0);
  view.setUint32(offset + 4, rest);
}

/** The ICMP checksum of a message given in consecutive parts (header first). */
export function icmpChecksum(parts: readonly Uint8Array[]): number {
  return internetChecksum(concatBytes(parts));
}

/**
 * Encodes an ICMP header with its checksum over the header and `payload`.
 *
 * @param h The message.
 * @param options The data after the header (echo data or a quoted packet).
 * @returns 8 bytes.
 * @throws {RangeError} If a numeric field does not fit 16 bits.
 * @example
 * ```ts
 * import { encodeIcmp } from "./mod.js";
 * const bytes = encodeIcmp({ kind: "fragmentation-needed", nextHopMtu: 1450 });
 * [bytes[0], bytes[1], bytes[6] << 8 | bytes[7]]; // [3, 4, 1450]
 * ```
 */
export function encodeIcmp(h: IcmpHeader, options: IcmpEncodeOptions = {}): Uint8Array {
  const bytes = new Uint8Array(ICMP_HEADER_LEN);
  const view = viewOf(bytes);
  writeIcmp(view, 0, h);
  view.setUint16(CHECKSUM_AT, icmpChecksum([bytes, options.payload ?? new Uint8Array(0)]));
  return bytes;
}

/**
 * The part of an offending IPv4 packet that Linux quotes in an ICMP error:
 * as much as fits in a 576-byte reply (`icmp_send`), that is at most 548
 * bytes; RFC 792 asks for at least the header and 8 bytes of data.
 *
 * @param ipPacket The offending IPv4 packet, from its header on.
 * @returns The bytes to send after the ICMP error header.
 * @example
 * ```ts
 * import { icmpErrorQuote } from "./mod.js";
 * icmpErrorQuote(new Uint8Array(1500)).length; // 548
 * ```
 */
export function icmpErrorQuote(ipPacket: Uint8Array): Uint8Array {
  const room = 576 - IPV4_HEADER_LEN - ICMP_HEADER_LEN;
  return ipPacket.slice(0, Math.min(ipPacket.length, room));
}

function unsupported(type: number, code: number, at: number): Result<never, WireError> {
  return err(wireError("icmp", at, "unsupported", `Type ${type} code ${code} is not modelled`));
}

function requireZero(view: DataView, at: number, bytes: number): Result<void, WireError> {
  const value = bytes === 4 ? view.getUint32(at) : view.getUint16(at);
  if (value === 0) return ok(undefined);
  return err(wireError("icmp", at, "reserved-not-zero", `Unused field is ${value}, expected 0`));
}

function readEcho(view: DataView, at: number): { id: number; seq: number } {
  return { id: view.getUint16(at + 4), seq: view.getUint16(at + 6) };
}

function reasonOfCode(code: number): UnreachableReason | undefined {
  const entry = Object.entries(UNREACHABLE_CODE).find(([, c]) => c === code);
  return entry?.[0] as UnreachableReason | undefined;
}

function readUnreachable(view: DataView, at: number): Result<IcmpHeader, WireError> {
  const code = view.getUint8(at + 1);
  if (code === FRAG_NEEDED_CODE) {
    const unused = requireZero(view, at + 4, 2);
    if (!unused.ok) return err(unused.error);
    return ok({ kind: "fragmentation-needed", nextHopMtu: view.getUint16(at + 6) });
  }
  const reason = reasonOfCode(code);
  if (reason === undefined) return unsupported(TYPE.unreachable, code, at + 1);
  const unused = requireZero(view, at + 4, 4);
  if (!unused.ok) return err(unused.error);
  return ok({ kind: "destination-unreachable", reason });
}

function readIcmp(view: DataView, at: number): Result<IcmpHeader, WireError> {
  const type = view.getUint8(at);
  const code = view.getUint8(at + 1);
  if (type === TYPE.unreachable) return readUnreachable(view, at);
  if (code !== 0) return unsupported(type, code, at + 1);
  if (type === TYPE.echoRequest) return ok({ kind: "echo-request", ...readEcho(view, at) });
  if (type === TYPE.echoReply) return ok({ kind: "echo-reply", ...readEcho(view, at) });
  if (type !== TYPE.timeExceeded) return unsupported(type, code, at);
  const unused = requireZero(view, at + 4, 4);
  return unused.ok ? ok({ kind: "time-exceeded" }) : err(unused.error);
}

function checkIcmpChecksum(message: Uint8Array, offset: number): Result<void, WireError> {
  if (internetChecksum(message) === 0) return ok(undefined);
  const stored = (message[CHECKSUM_AT] << 8) | message[CHECKSUM_AT + 1];
  const zeroed = Uint8Array.from(message);
  zeroed.fill(0, CHECKSUM_AT, CHECKSUM_AT + 2);
  return err(
    wireError(
      "icmp",
      offset + CHECKSUM_AT,
      "bad-checksum",
      `Checksum is ${hex16(stored)}, expected ${hex16(internetChecksum(zeroed))}`,
    ),
  );
}

/**
 * Decodes an ICMP header and verifies its checksum. The message runs from
 * `offset` to the end of `bytes`, so pass exactly the IPv4 payload. Types
 * and codes outside {@linkcode IcmpHeader} are `unsupported` errors.
 *
 * @param bytes The input, ending where the message ends.
 * @param offset Where the header starts.
 * @returns The message and the offset of its data, or an error naming the field.
 * @example
 * ```ts
 * import { decodeIcmp, encodeIcmp } from "./mod.js";
 * const r = decodeIcmp(encodeIcmp({ kind: "echo-request", id: 7, seq: 1 }), 0);
 * r.ok && r.value.header.kind; // "echo-request"
 * ```
 */
export function decodeIcmp(
  bytes: Uint8Array,
  offset: number,
): Result<Decoded<IcmpHeader>, WireError> {
  const room = needBytes(bytes, offset, {
    layer: "icmp",
    length: ICMP_HEADER_LEN,
    what: "ICMP header",
  });
  if (!room.ok) return err(room.error);
  const checksum = checkIcmpChecksum(bytes.subarray(offset), offset);
  if (!checksum.ok) return err(checksum.error);
  const header = readIcmp(viewOf(bytes), offset);
  if (!header.ok) return err(header.error);
  return ok({ header: header.value, next: offset + ICMP_HEADER_LEN });
}
