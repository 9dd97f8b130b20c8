import { err, ok, type Result, unwrap } from "../result.js";
import { Addr } from "./ip.js";
import { formatParseError, type ParseError, parseError } from "./parse-error.js";
import { internTable } from "./intern.js";

/** By length, then the address as a signed integer (see intern.ts). */
const interned = internTable<Map<number, Prefix>>("prefix");

/** The netmask of a prefix length as a 32-bit unsigned integer. */
export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * An IPv4 address with a prefix length, as an immutable interned value.
 * Like Go's `netip.Prefix` it may carry host bits (`10.244.1.2/24` is an
 * interface address); {@linkcode Prefix.masked} clears them (`10.244.1.0/24`
 * is a route destination).
 *
 * @example
 * ```ts
 * import { Addr, Prefix } from "./mod.js";
 * const p = Prefix.mustParse("10.244.1.0/24");
 * p.contains(Addr.mustParse("10.244.1.7")); // true
 * Prefix.mustParse("10.244.1.2/24").masked() === p; // true
 * ```
 */
export class Prefix {
  readonly addr: Addr;
  readonly bits: number;

  private constructor(addr: Addr, bits: number) {
    this.addr = addr;
    this.bits = bits;
    Object.freeze(this);
  }

  /**
   * The prefix of `addr` with length `bits`.
   *
   * @param addr Any address; host bits are kept.
   * @param bits 0 to 32.
   * @returns The interned prefix.
   * @example
   * ```ts
   * import { Addr, Prefix } from "./mod.js";
   * Prefix.of(Addr.mustParse("10.0.0.0"), 8).toString(); // "10.0.0.0/8"
   * ```
   */
  static of(addr: Addr, bits: number): Prefix {
    if (!Number.isInteger(bits) || bits < 0 || bits > 32) {
      throw new RangeError(`Not a prefix length: ${bits}`);
    }
    let table = interned.get(bits);
    if (table === undefined) interned.set(bits, table = new Map());
    const key = addr.value | 0;
    let p = table.get(key);
    if (p === undefined) {
      p = new Prefix(addr, bits);
      table.set(key, p);
    }
    return p;
  }

  /**
   * Parses `A.B.C.D/N`: a valid {@linkcode Addr}, a slash, and a length
   * 0-32 without leading zeros. Host bits are allowed.
   *
   * @param input The text to read.
   * @returns The prefix, or an error naming the offset that failed.
   * @example
   * ```ts
   * import { Prefix } from "./mod.js";
   * Prefix.parse("10.0.0.0/33").ok; // false
   * ```
   */
  static parse(input: string): Result<Prefix, ParseError> {
    const fail = (at: number, message: string) =>
      err(parseError("IPv4 prefix", input, at, message));
    const slash = input.indexOf("/");
    if (slash < 0) return fail(input.length, 'missing "/" and length');
    const addr = Addr.parse(input.slice(0, slash));
    if (!addr.ok) return fail(addr.error.at, addr.error.message);
    const bitsText = input.slice(slash + 1);
    if (!/^(0|[1-9][0-9]?)$/.test(bitsText)) {
      return fail(slash + 1, "length is not a number from 0 to 32");
    }
    const bits = Number(bitsText);
    if (bits > 32) return fail(slash + 1, "length is larger than 32");
    return ok(Prefix.of(addr.value, bits));
  }

  /**
   * Parses a prefix the caller knows to be valid; throws otherwise.
   * Intended for tests and hard-coded strings.
   */
  static mustParse(input: string): Prefix {
    return unwrap(Prefix.parse(input), formatParseError);
  }

  /** The netmask as a 32-bit unsigned integer. */
  get mask(): number {
    return maskOf(this.bits);
  }

  /** The prefix with host bits cleared. */
  masked(): Prefix {
    return Prefix.of(Addr.fromUint32((this.addr.value & this.mask) >>> 0), this.bits);
  }

  /** True when no host bits are set. */
  get isMasked(): boolean {
    return this.masked() === this;
  }

  /** The first address of the range (the network address). */
  get first(): Addr {
    return Addr.fromUint32((this.addr.value & this.mask) >>> 0);
  }

  /** The last address of the range (the broadcast address for /0-/30). */
  get last(): Addr {
    return Addr.fromUint32(((this.addr.value & this.mask) | ~this.mask) >>> 0);
  }

  /** How many addresses the range holds. */
  get size(): number {
    return 2 ** (32 - this.bits);
  }

  /**
   * Whether `a` lies in the range, whatever host bits this prefix carries.
   *
   * @param a The address to test.
   * @returns True when the first `bits` bits of both are equal.
   */
  contains(a: Addr): boolean {
    return ((a.value ^ this.addr.value) & this.mask) === 0;
  }

  /** Whether the two ranges share at least one address. */
  overlaps(other: Prefix): boolean {
    const bits = Math.min(this.bits, other.bits);
    return ((this.addr.value ^ other.addr.value) & maskOf(bits)) === 0;
  }

  /** `A.B.C.D/N`. */
  toString(): string {
    return `${this.addr}/${this.bits}`;
  }

  /** Serialises as `A.B.C.D/N`. */
  toJSON(): string {
    return this.toString();
  }
}
