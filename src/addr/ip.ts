import { err, ok, type Result, unwrap } from "../result.js";
import { formatParseError, type ParseError, parseError } from "./parse-error.js";
import { internTable } from "./intern.js";

const interned = internTable<Addr>("addr");

/**
 * An IPv4 address as an immutable value. Two `Addr`s for the same address
 * are the same object, so `===` compares them and they work as `Map` keys.
 *
 * @example
 * ```ts
 * import { Addr } from "./mod.js";
 * const a = Addr.mustParse("10.244.1.2");
 * console.log(a === Addr.mustParse("10.244.1.2")); // true
 * console.log(a.toString(), a.value); // 10.244.1.2 183763202
 * ```
 */
export class Addr {
  /** The address as an unsigned 32-bit integer. */
  readonly value: number;

  private constructor(value: number) {
    this.value = value;
    Object.freeze(this);
  }

  /**
   * The address whose 32-bit value is `n`.
   *
   * @param n An integer in [0, 2^32).
   * @returns The interned address.
   * @example
   * ```ts
   * import { Addr } from "./mod.js";
   * Addr.fromUint32(0x0a000001).toString(); // "10.0.0.1"
   * ```
   */
  static fromUint32(n: number): Addr {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new RangeError(`Not a 32-bit unsigned integer: ${n}`);
    }
    const key = n | 0; // one-to-one from [0, 2^32); see intern.ts
    let a = interned.get(key);
    if (a === undefined) {
      a = new Addr(n);
      interned.set(key, a);
    }
    return a;
  }

  /**
   * Parses dotted-decimal IPv4: four decimal fields 0-255, no leading
   * zeros, no spaces, nothing else (the rules of Go's `netip.ParseAddr`).
   *
   * @param input The text to read.
   * @returns The address, or an error naming the offset that failed.
   * @example
   * ```ts
   * import { Addr } from "./mod.js";
   * Addr.parse("10.244.1.300"); // { ok: false, error: { at: 9, ... } }
   * ```
   */
  static parse(input: string): Result<Addr, ParseError> {
    const fail = (at: number, message: string) =>
      err(parseError("IPv4 address", input, at, message));
    let value = 0;
    let field = 0;
    let digits = 0;
    let fieldStart = 0;
    let acc = 0;
    for (let i = 0; i <= input.length; i++) {
      const c = i < input.length ? input.charCodeAt(i) : -1;
      if (c >= 48 && c <= 57) {
        if (digits === 1 && acc === 0) {
          return fail(fieldStart, "leading zero in field");
        }
        acc = acc * 10 + (c - 48);
        digits++;
        if (acc > 255) return fail(fieldStart, "field is larger than 255");
        continue;
      }
      if (c === 46 /* . */ || c === -1) {
        if (digits === 0) {
          return fail(i, c === -1 ? "missing field" : "empty field");
        }
        value = value * 256 + acc;
        field++;
        if (c === 46 && field === 4) return fail(i, "more than four fields");
        acc = 0;
        digits = 0;
        fieldStart = i + 1;
        continue;
      }
      return fail(i, `unexpected character ${JSON.stringify(input[i])}`);
    }
    if (field !== 4) return fail(input.length, "fewer than four fields");
    return ok(Addr.fromUint32(value));
  }

  /**
   * Parses an address that the caller knows to be valid; throws otherwise.
   * Intended for tests and hard-coded strings.
   *
   * @param input Dotted-decimal IPv4.
   * @returns The address.
   * @example
   * ```ts
   * import { Addr } from "./mod.js";
   * Addr.mustParse("192.168.0.11");
   * ```
   */
  static mustParse(input: string): Addr {
    return unwrap(Addr.parse(input), formatParseError);
  }

  /** The address `n` places after this one (negative: before), if any. */
  add(n: number): Addr | undefined {
    const v = this.value + n;
    return v < 0 || v > 0xffffffff ? undefined : Addr.fromUint32(v);
  }

  /** Orders addresses numerically: negative, zero or positive. */
  compare(other: Addr): number {
    return this.value - other.value;
  }

  /** True for 127.0.0.0/8. */
  isLoopback(): boolean {
    return this.value >>> 24 === 127;
  }

  /** True for 0.0.0.0. */
  isUnspecified(): boolean {
    return this.value === 0;
  }

  /** True for 224.0.0.0/4 and 255.255.255.255. */
  isMulticastOrBroadcast(): boolean {
    return this.value >>> 28 === 0xe || this.value === 0xffffffff;
  }

  /** Dotted-decimal form. */
  toString(): string {
    const v = this.value;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }

  /** Serialises as the dotted-decimal string. */
  toJSON(): string {
    return this.toString();
  }
}
