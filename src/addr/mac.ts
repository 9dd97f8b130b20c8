import { err, ok, type Result, unwrap } from "../result.js";
import { formatParseError, type ParseError, parseError } from "./parse-error.js";
import { internTable } from "./intern.js";

/** By the high 16 bits, then the low 32 as a signed integer (see intern.ts). */
const interned = internTable<Map<number, Mac>>("mac");
const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * A 48-bit Ethernet (MAC) address as an immutable interned value.
 *
 * @example
 * ```ts
 * import { Mac } from "./mod.js";
 * const m = Mac.mustParse("02:42:AC:11:00:02");
 * m.toString(); // "02:42:ac:11:00:02"
 * m === Mac.mustParse("02:42:ac:11:00:02"); // true
 * ```
 */
export class Mac {
  /** The address as an integer in [0, 2^48). */
  readonly value: number;

  private constructor(value: number) {
    this.value = value;
    Object.freeze(this);
  }

  /** ff:ff:ff:ff:ff:ff */
  static get broadcast(): Mac {
    return Mac.fromNumber(0xffffffffffff);
  }

  /** 00:00:00:00:00:00, the VXLAN "all remotes" FDB key. */
  static get zero(): Mac {
    return Mac.fromNumber(0);
  }

  /**
   * The MAC whose 48-bit value is `n`.
   *
   * @param n An integer in [0, 2^48).
   * @returns The interned MAC.
   */
  static fromNumber(n: number): Mac {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffffffff) {
      throw new RangeError(`Not a 48-bit unsigned integer: ${n}`);
    }
    const high = Math.floor(n / 0x100000000);
    let table = interned.get(high);
    if (table === undefined) interned.set(high, table = new Map());
    const low = n | 0;
    let m = table.get(low);
    if (m === undefined) {
      m = new Mac(n);
      table.set(low, m);
    }
    return m;
  }

  /**
   * Parses six two-digit hexadecimal groups separated by colons.
   *
   * @param input The text to read.
   * @returns The MAC, or an error naming the offset that failed.
   * @example
   * ```ts
   * import { Mac } from "./mod.js";
   * Mac.parse("02:42:ac:11:00").ok; // false
   * ```
   */
  static parse(input: string): Result<Mac, ParseError> {
    const groups = input.split(":");
    let value = 0;
    let offset = 0;
    for (let i = 0; i < groups.length; i++) {
      if (i === 6) {
        return err(parseError("MAC address", input, offset - 1, "more than six groups"));
      }
      if (!HEX.test(groups[i])) {
        return err(
          parseError("MAC address", input, offset, "each group must be two hexadecimal digits"),
        );
      }
      value = value * 256 + parseInt(groups[i], 16);
      offset += groups[i].length + 1;
    }
    if (groups.length < 6) {
      return err(parseError("MAC address", input, input.length, "fewer than six groups"));
    }
    return ok(Mac.fromNumber(value));
  }

  /** Parses a MAC the caller knows to be valid; throws otherwise. */
  static mustParse(input: string): Mac {
    return unwrap(Mac.parse(input), formatParseError);
  }

  /** True for group addresses (the low bit of the first octet), broadcast included. */
  isMulticast(): boolean {
    return Math.floor(this.value / 2 ** 40) % 2 === 1;
  }

  /** Lower-case colon form. */
  toString(): string {
    const parts: string[] = [];
    let v = this.value;
    for (let i = 0; i < 6; i++) {
      parts.unshift((v % 256).toString(16).padStart(2, "0"));
      v = Math.floor(v / 256);
    }
    return parts.join(":");
  }

  /** Serialises as the colon form. */
  toJSON(): string {
    return this.toString();
  }
}
