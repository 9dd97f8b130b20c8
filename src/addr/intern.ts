/**
 * Intern tables that do not depend on the module copy. A page imports the
 * kernel through `lessons/kernel/`, the tests through `src/`, a bundle
 * through its own copy: each is a separate module instance, and a table
 * kept in a module-level variable would give each its own `Addr` for
 * `10.244.1.2`, so `===` and `Map` keys would silently disagree across
 * them. The tables live on the global object under a registered symbol
 * instead, one per kind of value, shared by every copy in the same realm.
 *
 * Keys are 32-bit signed integers (`n | 0`): V8 looks them up about three
 * times faster than numbers past 2^31, which it keeps as doubles (most
 * underlay addresses, every MAC and prefix key would be).
 *
 * @module
 */

/**
 * The realm-wide table of interned values of one kind.
 *
 * @param kind What the table holds (`addr`, `prefix`, `mac`); the symbol's
 *   name carries a format version, so a copy whose values differ in shape
 *   never reads another's.
 * @returns The same `Map` for the same kind, whichever copy of this module asks.
 * @example
 * ```ts
 * import { internTable } from "./intern.js";
 * internTable<string>("example") === internTable<string>("example"); // true
 * ```
 */
export function internTable<V>(kind: string): Map<number, V> {
  const key = Symbol.for(`podnet.intern.${kind}.v2`);
  const global = globalThis as unknown as Record<symbol, Map<number, V> | undefined>;
  let table = global[key];
  if (table === undefined) {
    table = new Map<number, V>();
    Object.defineProperty(globalThis, key, { value: table, enumerable: false });
  }
  return table;
}
