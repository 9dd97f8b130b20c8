import { Addr, Prefix } from "../addr/mod.js";
import type { Route, RouteType } from "../model/world.js";
import {
  type Cursor,
  cursorFor,
  isInterfaceName,
  isLineError,
  type LineError,
  type Token,
} from "./tokens.js";
import { err, ok, type Result } from "../result.js";

/** A route as written on an `ip route` line, before it meets a namespace. */
export interface RouteSpec extends Omit<Route, "scope"> {
  /** Unset when the line names none; resolving the route in a namespace decides it. */
  readonly scope?: Route["scope"];
}

const ROUTE_TYPES: readonly RouteType[] = ["unicast", "blackhole", "unreachable", "prohibit"];
const SYNTAX = "ip route";

type Fields = {
  -readonly [K in keyof RouteSpec]?: RouteSpec[K];
};

/**
 * Reads one route in `ip route` syntax, as `ip route add` takes it and
 * `ip route show` prints it:
 * `[TYPE] PREFIX|default [via ADDR] [dev NAME] [onlink] [src ADDR]
 * [metric N] [proto kernel|static|boot|bird] [scope link|global]`.
 *
 * @param line The route line.
 * @returns The route, or an error naming the token at fault.
 * @example
 * ```ts
 * import { parseRoute } from "./iproute.js";
 * parseRoute("10.244.2.0/24 via 192.168.0.12 dev eth0");
 * parseRoute("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink");
 * parseRoute("blackhole 10.244.3.0/24");
 * ```
 */
export function parseRoute(line: string): Result<RouteSpec, LineError> {
  const cursor = cursorFor(SYNTAX, line);
  if (isLineError(cursor)) return err(cursor);
  const fields: Fields = { type: "unicast", onlink: false, metric: 0, proto: "static" };
  let first = cursor.next()!;
  if ((ROUTE_TYPES as readonly string[]).includes(first.text)) {
    fields.type = first.text as RouteType;
    const next = cursor.next();
    if (next === undefined) return err(cursor.fail(undefined, "Destination is missing"));
    first = next;
  }
  const dst = readDestination(cursor, first);
  if (!dst.ok) return dst;
  fields.dst = dst.value;
  while (!cursor.done) {
    const problem = readOption(cursor, fields);
    if (problem) return err(problem);
  }
  return finish(cursor, fields);
}

function readDestination(cursor: Cursor, token: Token): Result<Prefix, LineError> {
  if (token.text === "default") return ok(Prefix.mustParse("0.0.0.0/0"));
  const text = token.text.includes("/") ? token.text : `${token.text}/32`;
  const prefix = Prefix.parse(text);
  if (!prefix.ok) {
    if (!token.text.includes("/")) {
      const addr = Addr.parse(token.text);
      if (!addr.ok) return err(cursor.failValue(token, addr.error));
    }
    return err(cursor.failValue(token, prefix.error));
  }
  if (!prefix.value.isMasked) {
    return err(cursor.fail(token, "Invalid prefix for given prefix length"));
  }
  return ok(prefix.value);
}

function readOption(cursor: Cursor, fields: Fields): LineError | undefined {
  const key = cursor.next()!;
  const value = () => cursor.next();
  switch (key.text) {
    case "via":
      return readAddr(cursor, value(), key, (a) => (fields.via = a));
    case "src":
      return readAddr(cursor, value(), key, (a) => (fields.src = a));
    case "dev": {
      const name = value();
      if (name === undefined) return cursor.fail(undefined, 'Device name is missing after "dev"');
      if (!isInterfaceName(name.text)) return cursor.fail(name, "Not a valid interface name");
      fields.dev = name.text;
      return undefined;
    }
    case "onlink":
      fields.onlink = true;
      return undefined;
    case "metric":
    case "preference":
    case "priority":
      return readMetric(cursor, value(), fields);
    case "proto":
      return readProto(cursor, value(), fields);
    case "scope":
      return readScope(cursor, value(), fields);
    default:
      return cursor.fail(key, "Unknown keyword");
  }
}

function readAddr(
  cursor: Cursor,
  token: Token | undefined,
  key: Token,
  set: (a: Addr) => void,
): LineError | undefined {
  if (token === undefined) return cursor.fail(undefined, `Address is missing after "${key.text}"`);
  const addr = Addr.parse(token.text);
  if (!addr.ok) return cursor.failValue(token, addr.error);
  set(addr.value);
  return undefined;
}

function readMetric(cursor: Cursor, token: Token | undefined, fields: Fields) {
  if (token === undefined) return cursor.fail(undefined, 'Number is missing after "metric"');
  if (!/^(0|[1-9][0-9]{0,9})$/.test(token.text) || Number(token.text) > 0xffffffff) {
    return cursor.fail(token, "Metric must be a whole number from 0 to 4294967295");
  }
  fields.metric = Number(token.text);
  return undefined;
}

function readProto(cursor: Cursor, token: Token | undefined, fields: Fields) {
  if (token === undefined) return cursor.fail(undefined, 'Protocol is missing after "proto"');
  if (token.text === "kernel") fields.proto = "kernel";
  else if (token.text === "static" || token.text === "boot") fields.proto = "static";
  else if (token.text === "bird") fields.proto = "bird";
  else return cursor.fail(token, "Protocol must be kernel, static, boot or bird");
  return undefined;
}

function readScope(cursor: Cursor, token: Token | undefined, fields: Fields) {
  if (token === undefined) return cursor.fail(undefined, 'Scope is missing after "scope"');
  if (token.text === "link" || token.text === "global") fields.scope = token.text;
  else if (token.text === "universe") fields.scope = "global";
  else return cursor.fail(token, "Scope must be link or global");
  return undefined;
}

function finish(cursor: Cursor, fields: Fields): Result<RouteSpec, LineError> {
  const spec = fields as RouteSpec;
  const at = (word: string) => cursor.tokens.find((t) => t.text === word);
  if (spec.type !== "unicast" && (spec.via || spec.dev)) {
    return err(cursor.fail(at(spec.via ? "via" : "dev"), `A ${spec.type} route has no next hop`));
  }
  if (spec.type === "unicast" && !spec.via && !spec.dev) {
    return err(cursor.fail(undefined, 'A route needs "via" or "dev"'));
  }
  if (spec.onlink && !spec.via) {
    return err(cursor.fail(at("onlink"), '"onlink" needs "via"'));
  }
  if (spec.scope === "link" && spec.via) {
    return err(cursor.fail(at("scope"), "A route with a gateway cannot have scope link"));
  }
  return ok(spec);
}

/**
 * Prints a route the way `ip route show` does.
 *
 * @param route A route.
 * @returns e.g. `10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1`.
 * @example
 * ```ts
 * import { formatRoute, parseRoute } from "./iproute.js";
 * const r = parseRoute("default via 10.244.1.1 dev eth0");
 * if (r.ok) formatRoute(r.value); // "default via 10.244.1.1 dev eth0"
 * ```
 */
export function formatRoute(route: RouteSpec): string {
  const words: string[] = [];
  if (route.type !== "unicast") words.push(route.type);
  words.push(route.dst.bits === 0 ? "default" : formatDst(route.dst));
  if (route.via) words.push("via", route.via.toString());
  if (route.dev) words.push("dev", route.dev);
  if (route.proto !== "static") words.push("proto", route.proto);
  if (route.scope === "link" && (route.proto === "kernel" || !route.via)) {
    words.push("scope", "link");
  }
  if (route.src) words.push("src", route.src.toString());
  if (route.metric) words.push("metric", String(route.metric));
  if (route.onlink) words.push("onlink");
  return words.join(" ");
}

function formatDst(dst: Prefix): string {
  return dst.bits === 32 ? dst.addr.toString() : dst.toString();
}
