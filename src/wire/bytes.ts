/**
 * Internal byte helpers shared by the header codecs: big-endian fields,
 * MAC addresses, range checks for encoders and truncation checks for decoders.
 *
 * @module
 */
import { Mac } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { type WireError, wireError, type WireLayer } from "./error.js";

const TWO_POW_32 = 0x1_0000_0000;

/** A big-endian view over the bytes of `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes a 48-bit MAC address at `offset`. */
export function writeMac(view: DataView, offset: number, mac: Mac): void {
  view.setUint16(offset, Math.floor(mac.value / TWO_POW_32));
  view.setUint32(offset + 2, mac.value % TWO_POW_32);
}

/** Reads a 48-bit MAC address at `offset`. */
export function readMac(view: DataView, offset: number): Mac {
  return Mac.fromNumber(view.getUint16(offset) * TWO_POW_32 + view.getUint32(offset + 2));
}

/**
 * Throws unless `value` is an integer that fits in `bits` bits: encoders get
 * their fields from the program, so an out-of-range field is a bug.
 */
export function checkField(field: string, value: number, bits: number): void {
  const max = 2 ** bits - 1;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${field} must be an integer in [0, ${max}], got ${value}`);
  }
}

/** Ok when `length` bytes are available from `offset`, else a `truncated` error. */
export function needBytes(
  bytes: Uint8Array,
  offset: number,
  options: { readonly layer: WireLayer; readonly length: number; readonly what: string },
): Result<void, WireError> {
  const available = Math.max(0, bytes.length - offset);
  if (Number.isInteger(offset) && offset >= 0 && available >= options.length) {
    return ok(undefined);
  }
  return err(
    wireError(
      options.layer,
      offset,
      "truncated",
      `${options.what} needs ${options.length} bytes, ${available} available`,
    ),
  );
}

/** Formats a 16-bit value as `0x` and four hex digits. */
export function hex16(value: number): string {
  return `0x${value.toString(16).padStart(4, "0")}`;
}

/** Joins byte arrays into one. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
