/**
 * Edits: each takes a world and returns a new one (or an error value for bad
 * input), leaving the old world untouched — the way a reader's experiment
 * cell changes the cluster without losing the original.
 *
 * @module
 */
import { err, ok, type Result } from "../result.js";
import { parseRoute } from "../syntax/iproute.js";
import { chainLines, ChainSet, parseIptables } from "../syntax/iptables.js";
import { formatLineError, type LineError } from "../syntax/tokens.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import { namespaceNamed } from "./query.js";
import { compareRoutes, connectedRoutes, resolveRoute } from "./routes.js";
import type { Device, DeviceRef, Namespace, Route, Rule, World } from "../model/world.js";

/** Why an edit was refused. */
export interface EditError {
  /** Which thing the edit named: a namespace, device, line... */
  readonly subject: string;
  readonly message: string;
  /** For table edits: the zero-based line number. */
  readonly line?: number;
  /** For syntax errors: the token and its column. */
  readonly token?: string;
  readonly column?: number;
}

/** Renders an edit error on one line. */
export function formatEditError(e: EditError): string {
  const where = e.line === undefined ? e.subject : `${e.subject}, line ${e.line + 1}`;
  return `${where}: ${e.message}`;
}

/** The lines of a table a reader wrote, trimmed, without blank lines and `#` comments. */
function tableLines(lines: readonly string[]): { text: string; line: number }[] {
  return lines.flatMap((raw, line) => {
    const text = raw.trim();
    return text === "" || text.startsWith("#") ? [] : [{ text, line }];
  });
}

function fromLineError(subject: string, line: number, e: LineError): EditError {
  return { subject, line, token: e.token, column: e.at + 1, message: formatLineError(e) };
}

/**
 * Replaces one namespace of a world.
 *
 * @param world The world.
 * @param ns The new namespace (matched by name).
 * @returns The new world.
 */
export function withNamespace(world: World, ns: Namespace): World {
  return { ...world, namespaces: world.namespaces.map((n) => (n.name === ns.name ? ns : n)) };
}

function namespaceOr(world: World, name: string): Result<Namespace, EditError> {
  const ns = namespaceNamed(world, name);
  return ns ? ok(ns) : err({ subject: name, message: `No namespace called "${name}"` });
}

/**
 * Changes one namespace and puts it back into the world: the common shape
 * of every edit that touches a single namespace.
 */
function changeNamespace(
  world: World,
  name: string,
  change: (ns: Namespace) => Result<Namespace, EditError>,
): Result<World, EditError> {
  const found = namespaceOr(world, name);
  if (!found.ok) return found;
  const changed = change(found.value);
  return changed.ok ? ok(withNamespace(world, changed.value)) : changed;
}

/**
 * Replaces a namespace's whole main table with lines in `ip route` syntax,
 * as a reader edits it. Lines with `proto kernel` keep a connected route
 * (it must come from an address); a connected route left out is deleted,
 * as `ip route del` would. Blank lines and `#` comments are ignored.
 *
 * @param world The world.
 * @param namespace The namespace to edit.
 * @param lines The table, one route per line.
 * @returns The new world, or one error per bad line.
 * @example
 * ```ts
 * import { setRoutes } from "./edit.js";
 * declare const world: import("../model/world.js").World;
 * setRoutes(world, "node-1", [
 *   "10.244.1.0/24 dev cni0 proto kernel scope link src 10.244.1.1",
 *   "10.244.2.0/24 via 192.168.0.12 dev eth0",
 * ]);
 * ```
 */
export function setRoutes(
  world: World,
  namespace: string,
  lines: readonly string[],
): Result<World, EditError[]> {
  const found = namespaceOr(world, namespace);
  if (!found.ok) return err([found.error]);
  const ns = found.value;
  const derived = connectedRoutes(ns.devices);
  const errors: EditError[] = [];
  const kernel: Route[] = [];
  const specs: { line: number; spec: ReturnType<typeof parseRoute> }[] = [];
  tableLines(lines).forEach(({ text, line }) => {
    const spec = parseRoute(text);
    if (!spec.ok) return errors.push(fromLineError(namespace, line, spec.error));
    if (spec.value.proto !== "kernel") return specs.push({ line, spec });
    const match = derived.find((r) =>
      r.dst === spec.value.dst && (spec.value.dev ?? r.dev) === r.dev
    );
    if (match === undefined) {
      return errors.push({
        subject: namespace,
        line,
        message: "No address makes this connected route (proto kernel)",
      });
    }
    if (!kernel.includes(match)) kernel.push(match);
  });
  let table: Route[] = kernel;
  for (const { line, spec } of specs) {
    if (!spec.ok) continue;
    const r = resolveRoute({ ...ns, routes: table }, spec.value, table);
    if (!r.ok) errors.push({ subject: namespace, line, message: r.error });
    else table = [...table, r.value];
  }
  if (errors.length > 0) return err(errors);
  return ok(withNamespace(world, { ...ns, routes: table.sort(compareRoutes) }));
}

/**
 * Adds one route, as `ip route add` does.
 *
 * @param world The world.
 * @param namespace Where.
 * @param line The route in `ip route` syntax.
 * @returns The new world or the error.
 */
export function addRoute(world: World, namespace: string, line: string): Result<World, EditError> {
  return changeNamespace(world, namespace, (ns) => {
    const spec = parseRoute(line);
    if (!spec.ok) return err(fromLineError(namespace, 0, spec.error));
    const r = resolveRoute(ns, spec.value, ns.routes);
    if (!r.ok) return err({ subject: namespace, message: r.error });
    return ok({ ...ns, routes: [...ns.routes, r.value].sort(compareRoutes) });
  });
}

/**
 * Deletes the routes to a destination, as `ip route del PREFIX` does (with
 * `dev` or `via` in the line, only the routes that match them).
 *
 * @param world The world.
 * @param namespace Where.
 * @param line e.g. `10.244.2.0/24` or `default`.
 * @returns The new world, or an error when no route matches ("No such process").
 */
export function deleteRoute(
  world: World,
  namespace: string,
  line: string,
): Result<World, EditError> {
  const words = line.trim().split(/\s+/);
  const spec = parseRoute(words.length === 1 ? `${line.trim()} dev lo` : line);
  if (!spec.ok) return err(fromLineError(namespace, 0, spec.error));
  const s = spec.value;
  const hit = (r: Route) =>
    r.dst === s.dst &&
    (words.length === 1 ||
      ((s.dev === undefined || r.dev === s.dev) && (s.via === undefined || r.via === s.via)));
  return changeNamespace(world, namespace, (ns) => {
    const index = ns.routes.findIndex(hit);
    if (index < 0) {
      return err({ subject: namespace, message: "No such process (no route matches)" });
    }
    return ok({ ...ns, routes: ns.routes.filter((_, i) => i !== index) });
  });
}

/**
 * Sets `net.ipv4.ip_forward` in a namespace.
 *
 * @param world The world.
 * @param namespace Where.
 * @param on The new value.
 * @returns The new world.
 */
export function setIpForward(
  world: World,
  namespace: string,
  on: boolean,
): Result<World, EditError> {
  return changeNamespace(
    world,
    namespace,
    (ns) => ok({ ...ns, sysctl: { ...ns.sysctl, ipForward: on } }),
  );
}

/**
 * Appends an iptables rule or sets the FORWARD policy.
 *
 * @param world The world.
 * @param namespace Where.
 * @param line Arguments to `iptables`, e.g. `-t nat -A POSTROUTING -s 10.244.1.0/24 -j MASQUERADE`.
 * @returns The new world or the error.
 */
export function addIptables(
  world: World,
  namespace: string,
  line: string,
): Result<World, EditError> {
  const parsed = parseIptables(line);
  return changeNamespace(world, namespace, (ns) => {
    if (!parsed.ok) return err(fromLineError(namespace, 0, parsed.error));
    const v = parsed.value;
    const chainError = ChainSet.of(ns.netfilter.rules).accept(v, line);
    if (chainError) return err(fromLineError(namespace, 0, chainError));
    if (v.kind === "chain") return ok(ns);
    const netfilter = v.kind === "policy" ? { ...ns.netfilter, forwardPolicy: v.policy } : {
      ...ns.netfilter,
      rules: [...ns.netfilter.rules, {
        table: v.table,
        chain: v.chain,
        match: v.match,
        target: v.target,
        text: v.text,
      }],
    };
    return ok({ ...ns, netfilter });
  });
}

/**
 * The netfilter state of a namespace as the lines {@linkcode setIptables}
 * reads back: the FORWARD policy when it is DROP, then every rule in order,
 * nat rules with `-t nat` in front.
 *
 * @param ns The namespace.
 * @returns One iptables argument line per rule.
 * @example
 * ```ts
 * import { iptablesLines } from "./edit.js";
 * declare const ns: import("../model/world.js").Namespace;
 * iptablesLines(ns); // ["-P FORWARD DROP", "-A FORWARD -i docker0 -j ACCEPT", "-t nat -A ..."]
 * ```
 */
export function iptablesLines(ns: Namespace): string[] {
  const policy = ns.netfilter.forwardPolicy === "DROP" ? ["-P FORWARD DROP"] : [];
  return [
    ...policy,
    ...chainLines(ns.netfilter.rules),
    ...ns.netfilter.rules.map((r) => (r.table === "nat" ? `-t nat ${r.text}` : r.text)),
  ];
}

/**
 * Replaces a namespace's whole netfilter state with lines of iptables
 * arguments, as a reader edits them: rules in the order given, and the
 * FORWARD policy from a `-P FORWARD ...` line (ACCEPT when there is none).
 * Blank lines and `#` comments are ignored.
 *
 * @param world The world.
 * @param namespace The namespace to edit.
 * @param lines One iptables argument line per rule or policy.
 * @returns The new world, or one error per bad line.
 * @example
 * ```ts
 * import { setIptables } from "./edit.js";
 * declare const world: import("../model/world.js").World;
 * setIptables(world, "node-1", [
 *   "-t nat -A POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -j RETURN",
 *   "-t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE",
 * ]);
 * ```
 */
export function setIptables(
  world: World,
  namespace: string,
  lines: readonly string[],
): Result<World, EditError[]> {
  const found = namespaceOr(world, namespace);
  if (!found.ok) return err([found.error]);
  const errors: EditError[] = [];
  const rules: Rule[] = [];
  let forwardPolicy: "ACCEPT" | "DROP" = "ACCEPT";
  const chains = new ChainSet();
  tableLines(lines).forEach(({ text, line }) => {
    const parsed = parseIptables(text);
    if (!parsed.ok) return errors.push(fromLineError(namespace, line, parsed.error));
    const v = parsed.value;
    const chainError = chains.accept(v, text);
    if (chainError) return errors.push(fromLineError(namespace, line, chainError));
    if (v.kind === "policy") {
      forwardPolicy = v.policy;
      return;
    }
    if (v.kind === "chain") return;
    rules.push({ table: v.table, chain: v.chain, match: v.match, target: v.target, text: v.text });
  });
  if (errors.length > 0) return err(errors);
  return ok(withNamespace(world, { ...found.value, netfilter: { rules, forwardPolicy } }));
}

/**
 * Deletes the iptables rules whose `iptables -S` text equals `text`.
 *
 * @param world The world.
 * @param namespace Where.
 * @param text The rule as printed, e.g. `-A POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -j RETURN`.
 * @returns The new world, or an error when no rule has that text.
 */
export function deleteIptables(
  world: World,
  namespace: string,
  text: string,
): Result<World, EditError> {
  return changeNamespace(world, namespace, (ns) => {
    const rules = ns.netfilter.rules.filter((r) => r.text !== text.trim());
    if (rules.length === ns.netfilter.rules.length) {
      return err({ subject: namespace, message: `No rule ${JSON.stringify(text)}` });
    }
    return ok({ ...ns, netfilter: { ...ns.netfilter, rules } });
  });
}

function deviceOr(world: World, ref: DeviceRef): Result<[Namespace, Device], EditError> {
  const found = namespaceOr(world, ref.namespace);
  if (!found.ok) return found;
  const dev = found.value.devices.find((d) => d.name === ref.device);
  if (!dev) {
    return err({
      subject: `${ref.namespace}/${ref.device}`,
      message: `Cannot find device "${ref.device}"`,
    });
  }
  return ok([found.value, dev]);
}

function withDevice(ns: Namespace, dev: Device): Namespace {
  return { ...ns, devices: ns.devices.map((d) => (d.name === dev.name ? dev : d)) };
}

/**
 * `ip link set DEV up|down`. Down removes every route through the device
 * (IPv4 flushes them); up brings back its connected routes only — static
 * routes through it are gone, as on Linux.
 *
 * @param world The world.
 * @param ref The device.
 * @param up The new state.
 * @returns The new world.
 */
export function setLinkUp(world: World, ref: DeviceRef, up: boolean): Result<World, EditError> {
  const found = deviceOr(world, ref);
  if (!found.ok) return found;
  const [ns, dev] = found.value;
  if (dev.up === up) return ok(world);
  const next = withDevice(ns, { ...dev, up });
  const routes = up
    ? [...ns.routes, ...connectedRoutes([{ ...dev, up }])].sort(compareRoutes)
    : ns.routes.filter((r) => r.dev !== dev.name);
  return ok(withNamespace(world, { ...next, routes }));
}

/**
 * `ip link set DEV mtu N`.
 *
 * @param world The world.
 * @param ref The device.
 * @param mtu 68 to 65535.
 * @returns The new world or the error.
 */
export function setMtu(world: World, ref: DeviceRef, mtu: number): Result<World, EditError> {
  const found = deviceOr(world, ref);
  if (!found.ok) return found;
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
    return err({
      subject: `${ref.namespace}/${ref.device}`,
      message: "MTU must be a whole number from 68 to 65535",
    });
  }
  const [ns, dev] = found.value;
  const max = vxlanMaxMtu(ns, dev);
  if (max !== undefined && mtu > max) {
    return err({
      subject: `${ref.namespace}/${ref.device}`,
      message:
        `MTU greater than device maximum (${max}: the underlay's MTU less ${VXLAN_OVERHEAD} bytes of VXLAN headers)`,
    });
  }
  return ok(withNamespace(world, withDevice(ns, { ...dev, mtu })));
}

/**
 * The largest MTU a VXLAN device over an underlay device may have, as the
 * kernel enforces it (`vxlan_change_mtu`): the underlay's MTU less the 50
 * bytes of outer headers. Other devices have no such bound here.
 *
 * @param ns The device's namespace.
 * @param dev The device.
 * @returns The bound, or `undefined`.
 */
export function vxlanMaxMtu(ns: Namespace, dev: Device): number | undefined {
  if (dev.kind !== "vxlan" || dev.dev === undefined) return undefined;
  const lower = ns.devices.find((d) => d.name === dev.dev);
  return lower === undefined ? undefined : lower.mtu - VXLAN_OVERHEAD;
}

/**
 * `ip neigh del ADDR dev DEV`.
 *
 * @param world The world.
 * @param namespace Where.
 * @param addr The neighbour's address text.
 * @returns The new world or an error when there is no such entry.
 */
export function deleteNeighbour(
  world: World,
  namespace: string,
  addr: string,
): Result<World, EditError> {
  return changeNamespace(world, namespace, (ns) => {
    const neighbours = ns.neighbours.filter((n) => n.addr.toString() !== addr.trim());
    if (neighbours.length === ns.neighbours.length) {
      return err({ subject: namespace, message: `No neighbour ${addr}` });
    }
    return ok({ ...ns, neighbours });
  });
}
