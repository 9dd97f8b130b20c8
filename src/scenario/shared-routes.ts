/**
 * Route tables that many namespaces of one document share. The nodes of a
 * cluster hold mostly the same lines — every node's route to every other
 * node's pods — so a 5,000-node cluster has 25 million route lines, all but
 * 5,000 of them repeats. `resolveRoute` stays the one rule for a line; this
 * module proves, for a namespace whose lines are a reference namespace's
 * lines with a few added or missing, that each shared line would resolve
 * there exactly as it did in the reference, and hands back the reference's
 * routes instead of checking each line again. When it cannot prove it, the
 * loader checks line by line, as for any other namespace.
 *
 * What `resolveRoute` reads of a namespace, and how each is proved equal:
 * - the device a line names (exists, up, loopback): each device the lines
 *   name exists in both or in neither, of the same kind and state;
 * - the scope-link routes a gateway must lie in: no shared gateway lies in a
 *   connected route one namespace has and the other has not, and no
 *   scope-link line is added or missing;
 * - the local addresses a gateway must not be: none of the namespace's
 *   addresses is a shared line's gateway (loopback prefixes are part of the
 *   device list compared);
 * - the routes already there ("File exists"): no connected route or added
 *   line has the key of a shared line.
 * A reference is a namespace whose every line resolved, with no `src`.
 *
 * @module
 */
import type { Route } from "../model/world.js";
import type { RouteSpec } from "../syntax/iproute.js";
import {
  addressesLocal,
  compareRoutes,
  deviceIn,
  resolveRoute,
  RouteTable,
} from "../world/routes.js";
import type { Namespace } from "../model/world.js";

/** Fewer lines than this are checked one by one: sharing would not pay. */
const MIN_LINES = 64;
/** More differences than this from the reference: checked one by one. */
const MAX_DIFFERENCES = 64;
/** References kept per document (one per kind of node is the common case). */
const MAX_REFERENCES = 4;

/** A namespace whose lines all resolved, kept to be shared. */
interface Reference {
  /** The devices the lines name. */
  readonly names: readonly string[];
  readonly devices: string;
  readonly lines: readonly unknown[];
  readonly removed: readonly unknown[];
  /** The route each line resolved to. */
  readonly routes: readonly Route[];
  /** The line routes in `ip route show` order. */
  readonly sorted: readonly Route[];
  /** Each line's position in `sorted`. */
  readonly position: readonly number[];
  /** The scope-link lines, by index. */
  readonly links: readonly number[];
  /** Line indexes by gateway address value. */
  readonly byVia: ReadonlyMap<number, readonly number[]>;
  /** The distinct gateway values, ascending. */
  readonly vias: Float64Array;
  /** Line indexes by destination, to find a key clash. */
  readonly byDst: ReadonlyMap<Route["dst"], readonly number[]>;
  /** The connected routes the lines were checked against. */
  readonly connected: readonly Route[];
}

/** A parsed line, or `undefined` when it does not parse. */
export type ParseLine = (line: string) => RouteSpec | undefined;

/** The routes one document's namespaces share; made once per load. */
export class SharedRoutes {
  readonly #refs: Reference[] = [];
  readonly #share: boolean;

  /** @param share False: never share (every line is checked in every namespace). */
  constructor(share = true) {
    this.#share = share;
  }

  /**
   * Keeps a namespace whose lines were checked one by one as a reference,
   * if every line resolved and none has a `src`.
   *
   * @param ns The namespace (its devices).
   * @param lines Its `routes` lines as written.
   * @param removed Its `removedKernelRoutes` lines as written.
   * @param routes The route each line resolved to (`undefined`: refused).
   * @param connected The connected routes the lines were checked against.
   */
  remember(
    ns: Namespace,
    lines: readonly unknown[],
    removed: readonly unknown[],
    routes: readonly (Route | undefined)[],
    connected: readonly Route[],
  ): void {
    if (!this.#share || lines.length < MIN_LINES || this.#refs.length >= MAX_REFERENCES) return;
    for (let i = 0; i < lines.length; i++) {
      if (routes[i] === undefined || routes[i]!.src !== undefined) return; // refused, or sourced
    }
    const all = routes as readonly Route[];
    const byVia = new Map<number, number[]>();
    const byDst = new Map<Route["dst"], number[]>();
    all.forEach((r, i) => {
      if (r.via !== undefined) push(byVia, r.via.value, i);
      push(byDst, r.dst, i);
    });
    const names = [...new Set(all.flatMap((r) => r.dev === undefined ? [] : [r.dev]))];
    const order = all.map((_, i) => i).sort((a, b) => compareRoutes(all[a], all[b]) || a - b);
    const position: number[] = [];
    order.forEach((line, at) => position[line] = at);
    this.#refs.push({
      names,
      position,
      links: all.flatMap((r, i) => r.scope === "link" ? [i] : []),
      devices: deviceSignature(ns, names),
      lines,
      removed,
      routes: all,
      sorted: order.map((i) => all[i]),
      byVia,
      vias: Float64Array.from(byVia.keys()).sort(),
      byDst,
      connected,
    });
  }

  /**
   * A namespace's line routes in `ip route show` order (connected routes
   * included, as the loader returns them), when a reference proves every
   * shared line resolves alike; `undefined` when the lines must be checked
   * one by one.
   *
   * @param ns The namespace (its devices).
   * @param lines Its `routes` lines as written.
   * @param removed Its `removedKernelRoutes` lines as written.
   * @param connected Its connected routes, less the removed ones.
   * @param parse The document's line parser.
   */
  reuse(
    ns: Namespace,
    lines: readonly unknown[],
    removed: readonly unknown[],
    connected: readonly Route[],
    parse: ParseLine,
  ): Route[] | undefined {
    if (lines.length < MIN_LINES || this.#refs.length === 0) return undefined;
    for (const ref of this.#refs) {
      if (ref.devices !== deviceSignature(ns, ref.names) || !sameLines(ref.removed, removed)) {
        continue;
      }
      const out = reuseFrom(ref, ns, lines, connected, parse);
      if (out !== undefined) return out;
    }
    return undefined;
  }
}

function reuseFrom(
  ref: Reference,
  ns: Namespace,
  lines: readonly unknown[],
  connected: readonly Route[],
  parse: ParseLine,
): Route[] | undefined {
  const diff = difference(ref.lines, lines);
  if (diff === undefined) return undefined;
  const missing = new Set(diff.missing);
  // A scope-link line is a gateway's way out for the lines after it.
  if (diff.missing.some((i) => ref.routes[i].scope === "link")) return undefined;
  // Gateways inside a connected route only one of the two has.
  for (const r of symmetricDifference(ref.connected, connected)) {
    if (viaWithin(ref, r.dst.first.value, r.dst.last.value, missing)) return undefined;
  }
  // Gateways that are this namespace's own addresses.
  for (const dev of ns.devices) {
    if (!addressesLocal(dev.kind, dev.up)) continue;
    for (const a of dev.addresses) {
      if (viaWithin(ref, a.addr.value, a.addr.value, missing)) return undefined;
    }
  }
  // Keys already there: connected routes, then the added lines in turn.
  if (connected.some((c) => clashes(ref, c, missing))) return undefined;
  // Each added line is checked against what precedes it: the connected
  // routes, the scope-link lines before it, and the lines added before it.
  const table = new RouteTable(connected);
  const links = ref.links;
  let linked = 0;
  const added: Route[] = [];
  for (const [i, before] of diff.added) {
    while (linked < links.length && links[linked] < before) table.add(ref.routes[links[linked++]]);
    const line = lines[i];
    const spec = typeof line === "string" ? parse(line) : undefined;
    if (spec === undefined || spec.proto === "kernel") return undefined;
    const route = resolveRoute(ns, spec, table);
    if (!route.ok || route.value.scope === "link") return undefined;
    if (clashes(ref, route.value, missing)) return undefined;
    table.add(route.value);
    added.push(route.value);
  }
  return merge(ref, missing, [...connected, ...added].sort(compareRoutes));
}

/**
 * The reference's sorted line routes less the missing ones, merged with
 * `own` (sorted): runs between the few changes are copied, not compared.
 */
function merge(ref: Reference, missing: ReadonlySet<number>, own: readonly Route[]): Route[] {
  const n = ref.sorted.length;
  // Insertions before removals at one position; insertions keep their order.
  const events: { at: number; route?: Route }[] = [
    ...[...missing].map((i): { at: number; route?: Route } => ({ at: ref.position[i] })),
    ...own.map((route) => ({ at: lowerBound(ref.sorted, route), route })),
  ].sort((a, b) => a.at - b.at || (a.route ? 0 : 1) - (b.route ? 0 : 1));
  const out: Route[] = new Array(n - missing.size + own.length);
  let k = 0;
  let from = 0;
  for (const e of events) {
    for (let x = from; x < e.at; x++) out[k++] = ref.sorted[x];
    from = Math.max(from, e.at);
    if (e.route) out[k++] = e.route;
    else from = e.at + 1;
  }
  for (let x = from; x < n; x++) out[k++] = ref.sorted[x];
  return out;
}

/** The first position of `sorted` whose route sorts after `r`. */
function lowerBound(sorted: readonly Route[], r: Route): number {
  let a = 0;
  let b = sorted.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (compareRoutes(sorted[m], r) < 0) a = m + 1;
    else b = m;
  }
  return a;
}

/** Whether a route has the destination and metric of a shared line. */
function clashes(ref: Reference, r: Route, missing: ReadonlySet<number>): boolean {
  const same = ref.byDst.get(r.dst);
  return same !== undefined &&
    same.some((i) => !missing.has(i) && ref.routes[i].metric === r.metric);
}

/** Whether a shared line's gateway lies in [lo, hi]. */
function viaWithin(ref: Reference, lo: number, hi: number, missing: ReadonlySet<number>): boolean {
  let a = 0;
  let b = ref.vias.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (ref.vias[m] < lo) a = m + 1;
    else b = m;
  }
  for (let k = a; k < ref.vias.length && ref.vias[k] <= hi; k++) {
    if (ref.byVia.get(ref.vias[k])!.some((i) => !missing.has(i))) return true;
  }
  return false;
}

/**
 * Lines of `ref` missing from `lines`, and lines of `lines` added (each with
 * the number of `ref` lines before it), by index, when the two are the same
 * sequence but for at most `MAX_DIFFERENCES`.
 */
function difference(
  ref: readonly unknown[],
  lines: readonly unknown[],
): { missing: number[]; added: [number, number][] } | undefined {
  const missing: number[] = [];
  /** Each added line's index, with the number of reference lines before it. */
  const added: [number, number][] = [];
  // The long runs the two share (all but a few lines) are walked by a
  // tight loop first: from the front, and from the back.
  let i = 0;
  let j = 0;
  const common = Math.min(ref.length, lines.length);
  while (i < common && ref[i] === lines[i]) i++;
  j = i;
  let refEnd = ref.length;
  let linesEnd = lines.length;
  while (refEnd > i && linesEnd > j && ref[refEnd - 1] === lines[linesEnd - 1]) {
    refEnd--;
    linesEnd--;
  }
  while (i < refEnd || j < linesEnd) {
    if (missing.length + added.length > MAX_DIFFERENCES) return undefined;
    if (i < refEnd && j < linesEnd && ref[i] === lines[j]) {
      i++;
      j++;
    } else if (j >= linesEnd || (i + 1 < refEnd && ref[i + 1] === lines[j])) {
      missing.push(i++);
    } else if (i >= refEnd || (j + 1 < linesEnd && ref[i] === lines[j + 1])) {
      added.push([j++, i]);
    } else {
      added.push([j++, i]);
      missing.push(i++);
    }
  }
  return { missing, added };
}

function sameLines(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Connected routes one list has and the other has not (by destination and device). */
function symmetricDifference(a: readonly Route[], b: readonly Route[]): Route[] {
  const key = (r: Route) => `${r.dst}|${r.dev}`;
  const inA = new Set(a.map(key));
  const inB = new Set(b.map(key));
  return [...a.filter((r) => !inB.has(key(r))), ...b.filter((r) => !inA.has(key(r)))];
}

/**
 * What a line's check reads of the devices: whether each device the lines
 * name exists, its kind and state; and the loopback devices' addresses
 * (all of a loopback prefix is local).
 */
function deviceSignature(ns: Namespace, names: readonly string[]): string {
  const named = names.map((n) => {
    const d = deviceIn(ns.devices, n);
    return d === undefined ? "-" : `${d.kind}\u0000${d.up}`;
  });
  const loopbacks = ns.devices.filter((d) => d.kind === "loopback").map((d) =>
    `${d.name}\u0000${d.up}\u0000${d.addresses.join(",")}`
  );
  return [...named, ...loopbacks].join("\n");
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V) {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}
