import { Addr, Mac } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import type { Neighbour } from "../model/world.js";
import { cursorFor, isInterfaceName, isLineError, type LineError } from "./tokens.js";

const SYNTAX = "ip neigh";
const STATES: Record<string, Neighbour["state"]> = {
  permanent: "permanent",
  reachable: "reachable",
  stale: "stale",
  noarp: "noarp",
};

/** The state a word names (`permanent`, `REACHABLE` ...), if any. */
function stateNamed(word: string): Neighbour["state"] | undefined {
  const key = word.toLowerCase();
  return Object.hasOwn(STATES, key) ? STATES[key] : undefined;
}

/**
 * Reads one neighbour entry in `ip neigh` syntax:
 * `ADDR dev NAME lladdr MAC [nud permanent|reachable|stale|noarp]`.
 * As with `ip neigh add`, the state defaults to permanent; the upper-case
 * state word that `ip neigh show` prints is accepted too.
 *
 * @param line The entry.
 * @returns The entry, or an error naming the token at fault.
 * @example
 * ```ts
 * import { parseNeighbour } from "./ipneigh.js";
 * parseNeighbour("10.244.2.0 dev flannel.1 lladdr 0a:58:0a:f4:02:00 nud permanent");
 * ```
 */
export function parseNeighbour(line: string): Result<Neighbour, LineError> {
  const cursor = cursorFor(SYNTAX, line);
  if (isLineError(cursor)) return err(cursor);
  const first = cursor.next()!;
  const addr = Addr.parse(first.text);
  if (!addr.ok) return err(cursor.failValue(first, addr.error));
  let dev: string | undefined;
  let mac: Mac | undefined;
  let state: Neighbour["state"] = "permanent";
  while (!cursor.done) {
    const key = cursor.next()!;
    const lower = key.text.toLowerCase();
    if (key.text === "dev" || key.text === "lladdr" || key.text === "nud") {
      const value = cursor.next();
      if (value === undefined) {
        return err(cursor.fail(undefined, `Value is missing after "${key.text}"`));
      }
      if (key.text === "dev") {
        if (!isInterfaceName(value.text)) {
          return err(cursor.fail(value, "Not a valid interface name"));
        }
        dev = value.text;
      } else if (key.text === "lladdr") {
        const m = Mac.parse(value.text);
        if (!m.ok) return err(cursor.failValue(value, m.error));
        mac = m.value;
      } else {
        const s = stateNamed(value.text);
        if (s === undefined) {
          return err(cursor.fail(value, "State must be permanent, reachable, stale or noarp"));
        }
        state = s;
      }
    } else if (stateNamed(lower) !== undefined) {
      state = stateNamed(lower)!;
    } else {
      return err(cursor.fail(key, "Unknown keyword"));
    }
  }
  if (dev === undefined) return err(cursor.fail(undefined, '"dev NAME" is missing'));
  if (mac === undefined) return err(cursor.fail(undefined, '"lladdr MAC" is missing'));
  return ok({ addr: addr.value, dev, mac, state });
}

/**
 * Prints an entry as `ip neigh show` does.
 *
 * @param n The entry.
 * @returns e.g. `10.244.2.0 dev flannel.1 lladdr 0a:58:0a:f4:02:00 PERMANENT`.
 */
export function formatNeighbour(n: Neighbour): string {
  return `${n.addr} dev ${n.dev} lladdr ${n.mac} ${n.state.toUpperCase()}`;
}
