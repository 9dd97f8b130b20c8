import { Addr, Mac } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import { cursorFor, isInterfaceName, isLineError, type LineError } from "./tokens.js";

const SYNTAX = "bridge fdb";

/** An FDB entry as written, before it meets a namespace. */
export interface FdbSpec {
  readonly mac: Mac;
  readonly dev: string;
  /** VXLAN remote (`dst`). */
  readonly dst?: Addr;
  /** `self` (the device's own table, VXLAN) or `master` (the bridge's). */
  readonly table: "self" | "master";
  readonly state: "permanent" | "static" | "learned";
}

/**
 * Reads one entry in `bridge fdb` syntax:
 * `MAC dev NAME [dst ADDR] [self|master [BRIDGE]] [permanent|static|dynamic]`.
 * Without `self` or `master`, an entry with `dst` belongs to the device
 * itself (VXLAN), any other to the bridge the device is a port of.
 *
 * @param line The entry.
 * @returns The entry, or an error naming the token at fault.
 * @example
 * ```ts
 * import { parseFdb } from "./bridgefdb.js";
 * parseFdb("0a:58:0a:f4:02:00 dev flannel.1 dst 192.168.0.12 self permanent");
 * parseFdb("02:7a:00:00:00:02 dev veth1a2b3c4d master cni0 static");
 * ```
 */
export function parseFdb(line: string): Result<FdbSpec, LineError> {
  const cursor = cursorFor(SYNTAX, line);
  if (isLineError(cursor)) return err(cursor);
  const first = cursor.next()!;
  const mac = Mac.parse(first.text);
  if (!mac.ok) return err(cursor.failValue(first, mac.error));
  let dev: string | undefined;
  let dst: Addr | undefined;
  let table: FdbSpec["table"] | undefined;
  let state: FdbSpec["state"] = "static";
  while (!cursor.done) {
    const key = cursor.next()!;
    switch (key.text) {
      case "dev": {
        const v = cursor.next();
        if (v === undefined) {
          return err(cursor.fail(undefined, 'Device name is missing after "dev"'));
        }
        if (!isInterfaceName(v.text)) return err(cursor.fail(v, "Not a valid interface name"));
        dev = v.text;
        break;
      }
      case "dst": {
        const v = cursor.next();
        if (v === undefined) return err(cursor.fail(undefined, 'Address is missing after "dst"'));
        const a = Addr.parse(v.text);
        if (!a.ok) return err(cursor.failValue(v, a.error));
        dst = a.value;
        break;
      }
      case "self":
        table = "self";
        break;
      case "master": {
        table = "master";
        const v = cursor.peek();
        if (v && !isFdbKeyword(v.text)) cursor.next();
        break;
      }
      case "permanent":
      case "static":
        state = key.text;
        break;
      case "dynamic":
        state = "learned";
        break;
      default:
        return err(cursor.fail(key, "Unknown keyword"));
    }
  }
  if (dev === undefined) return err(cursor.fail(undefined, '"dev NAME" is missing'));
  return ok({ mac: mac.value, dev, dst, table: table ?? (dst ? "self" : "master"), state });
}

function isFdbKeyword(word: string): boolean {
  return ["dev", "dst", "self", "master", "permanent", "static", "dynamic"].includes(word);
}

/**
 * Prints an entry as `bridge fdb show` does.
 *
 * @param e The entry, with the bridge name for `master` entries.
 * @returns e.g. `0a:58:0a:f4:02:00 dev flannel.1 dst 192.168.0.12 self permanent`.
 */
export function formatFdb(e: FdbSpec & { readonly bridge?: string }): string {
  const words = [e.mac.toString(), "dev", e.dev];
  if (e.dst) words.push("dst", e.dst.toString());
  if (e.table === "self") words.push("self");
  else words.push("master", e.bridge ?? "");
  if (e.state !== "learned") words.push(e.state);
  return words.filter((w) => w !== "").join(" ");
}
