/**
 * Destination atoms: the address space cut at every boundary any decision
 * can depend on (route prefixes, pod subnets, netfilter destination
 * matches, host addresses, neighbour addresses, the loopback range). Every
 * route lookup, netfilter match, local-address and neighbour check gives
 * the same answer for all addresses of one atom; only "which pod owns this
 * address" does not, and the evaluator keeps that one symbolic.
 *
 * @module
 */
import { maskOf } from "../addr/mod.js";

/** A sorted set of cut points: atom `i` is `[cuts[i], cuts[i + 1])`. */
export class Atoms {
  /** Start of each atom; `cuts[0]` is 0. */
  readonly cuts: Uint32Array;

  private constructor(cuts: Uint32Array) {
    this.cuts = cuts;
  }

  /**
   * Builds atoms from prefixes.
   *
   * @param prefixes `[address, length]` pairs; host bits are ignored.
   * @returns The atoms.
   * @example
   * ```ts
   * import { Atoms } from "./atoms.js";
   * const a = Atoms.of([[0x0af40100, 24]]); // 10.244.1.0/24
   * a.count; // 3: below, inside, above
   * ```
   */
  static of(prefixes: Iterable<readonly [number, number]>): Atoms {
    const set = new Set<number>([0]);
    for (const [addr, bits] of prefixes) {
      const start = (addr & maskOf(bits)) >>> 0;
      set.add(start);
      const end = start + 2 ** (32 - bits);
      if (end <= 0xffffffff) set.add(end);
    }
    const cuts = Uint32Array.from(set).sort();
    return new Atoms(cuts);
  }

  /** How many atoms there are. */
  get count(): number {
    return this.cuts.length;
  }

  /**
   * The atom holding an address (binary search).
   *
   * @param v The address as an unsigned 32-bit integer.
   * @returns The atom index.
   */
  of(v: number): number {
    const c = this.cuts;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (c[mid] <= v) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** First address of atom `i`. */
  start(i: number): number {
    return this.cuts[i];
  }

  /** Last address of atom `i`. */
  end(i: number): number {
    return i + 1 < this.cuts.length ? this.cuts[i + 1] - 1 : 0xffffffff;
  }

  /** Whether the prefix's two ends are cut points already. */
  aligned(addr: number, bits: number): boolean {
    const start = (addr & maskOf(bits)) >>> 0;
    const end = start + 2 ** (32 - bits);
    return this.cuts[this.of(start)] === start &&
      (end > 0xffffffff || this.cuts[this.of(end)] === end);
  }

  /** The atoms inside a prefix, as `[first, last]` indexes. */
  range(addr: number, bits: number): readonly [number, number] {
    const start = (addr & maskOf(bits)) >>> 0;
    const end = start + 2 ** (32 - bits) - 1;
    return [this.of(start), this.of(end)];
  }
}
