/**
 * All-pairs NAT-free pod reachability without tracing every pair.
 *
 * Pods are grouped by how they send (source groups: same bridge, same
 * subnet and gateway, same source class); groups on hosts with the same
 * configuration form a group class. Destinations are atoms
 * (`atoms.ts`). For each atom the verifier evaluates ONE state per group
 * class (`evaluate.ts`) on a representative host, finds the member hosts
 * whose own routes, addresses, neighbour or FDB entries the evaluation
 * read (those are evaluated on their own), and settles the symbolic end of
 * the outcome per destination pod. Pairs the compact form cannot decide —
 * pods whose namespace is not the standard one, `unknown` outcomes, or a
 * whole irregular world — are traced with the real tracer (`checkPair`).
 *
 * @module
 */
import { Addr } from "../addr/mod.js";
import { checkPair, type ReachProblem } from "../invariants/invariants.js";
import type { Trace } from "../trace/types.js";
import type { DropReason } from "../trace/types.js";
import { traceResolved } from "../trace/tracer.js";
import { podIp, podNamed, podsWithIp } from "../world/query.js";
import type { World } from "../model/world.js";
import { Atoms } from "./atoms.js";
import { Evaluator, type Outcome, type Pkt, PROBE_SIZE, ReadKind, type Reads } from "./evaluate.js";
import { type Fabric, type FHost, NONE } from "./fabric.js";
import { ifaceMatches } from "../forward/rules.js";
import {
  type FailureSet,
  type Piece,
  type PieceView,
  type Problem,
  problemKey,
  type SourceSet,
  type Verification,
} from "./pieces.js";
import { type NodeMatrix, nodeMatrix, nodePair, type NodePairView } from "./views.js";

export type { FailureSet, Problem, SourceSet, Verification } from "./pieces.js";
export type { NodeMatrix, NodePairView } from "./views.js";

interface Group {
  readonly id: number;
  readonly host: number;
  readonly domain: number;
  readonly subnet: number;
  readonly bits: number;
  readonly gateway: number;
  readonly srcClass: number;
  readonly ttl: number;
  /** Routed pods: `proxy_arp` on their host ends. */
  readonly proxyArp: boolean;
  readonly pods: number[];
  /** How the pods' gateway answers: the host, a pod, nobody, or a dead bridge. */
  mode: "host" | "pod" | "none" | "dead";
  gwPod: number;
  cls: number;
}

interface GroupClass {
  readonly id: number;
  readonly key: string;
  readonly groups: number[];
  /** Groups by host. */
  readonly byHost: Map<number, number[]>;
  pods: number;
}

interface Cell {
  readonly outcome: Outcome;
  /** Hosts of the class whose own data conflict: evaluated on their own. */
  readonly conflicts: ReadonlySet<number>;
  /** The representative host, or -1 when every member is evaluated on its own. */
  readonly rep: number;
  readonly hosts: readonly number[];
}

interface AtomResult {
  readonly pieces: Piece[];
  readonly failing: number;
  /** Pairs of this atom's destinations the real tracer decided. */
  readonly traced: number;
  readonly hosts: ReadonlySet<number>;
}

/**
 * Verifies NAT-free all-pairs pod reachability of a fabric and keeps what
 * it learnt, so that one edit can be re-checked incrementally.
 *
 * @example
 * ```ts
 * import { generateFabric, Verifier } from "./mod.js";
 * import { unwrap } from "../result.js";
 * const v = new Verifier(unwrap(generateFabric({ mode: "host-gw", nodes: 10, podsPerNode: 3 }), (e) => e.message));
 * v.result().holds; // true
 * ```
 */
export class Verifier {
  #fabric!: Fabric;
  #ev!: Evaluator;
  #atoms!: Atoms;
  #srcPrefixes: { base: number; mask: number }[] = [];
  #srcClassIds = new Map<string, number>();
  #groups: Group[] = [];
  #podGroup!: Int32Array;
  #classes: GroupClass[] = [];
  #classByKey = new Map<string, number>();
  #profiles: string[] = [];
  /** Destination atoms holding standard pods, with those pods. */
  #atomPods = new Map<number, number[]>();
  #oddPods: number[] = [];
  /** Pod indexes sorted by IP, the sorted IPs, and whether a pod's IP is shared. */
  #byIp = new Uint32Array(0);
  #ips = new Uint32Array(0);
  #dup = new Uint8Array(0);
  #subnetGroups = new Map<number, number[]>();
  #otherGroups: number[] = [];
  #coverers = new Map<number, number[]>();
  #neighHosts = new Map<number, number[]>();
  #fdbHosts = new Map<number, number[]>();
  /** The index keys each host is filed under (to take it out again). */
  #ownKeys = new Map<number, { atoms: number[]; neigh: number[]; fdb: number[] }>();
  #cells = new Map<string, Cell>();
  #atomResults = new Map<number, AtomResult>();
  /** Atoms whose result depends on a host. */
  #hostAtoms = new Map<number, Set<number>>();
  /** Memo keys of states visiting a host, with their atom (-1: concrete destination). */
  #hostStates = new Map<number, Map<string, number>>();
  #traced: Piece[] = [];
  /** Failing and traced pairs summed over the atoms (kept up to date incrementally). */
  #failingAtoms = 0;
  #tracedAtoms = 0;
  #sameIp: Piece[] = [];
  /** Atoms of overlay remotes and NAT addresses: routes there matter beyond their own atom. */
  #auxAtoms = new Set<number>();

  /**
   * @param fabric The cluster to verify (from `fabricFromWorld` or `generateFabric`).
   */
  constructor(fabric: Fabric) {
    this.#build(fabric);
  }

  /**
   * The fabric as last verified. The verifier works on its own copy of the
   * host list and updates it in place on incremental edits.
   */
  get fabric(): Fabric {
    return this.#fabric;
  }

  // --- building ---------------------------------------------------------------------------

  #build(fabric: Fabric) {
    this.#fabric = { ...fabric, hosts: [...fabric.hosts] };
    fabric = this.#fabric;
    this.#cells = new Map();
    this.#atomResults = new Map();
    this.#hostAtoms = new Map();
    this.#hostStates = new Map();
    this.#failingAtoms = 0;
    this.#tracedAtoms = 0;
    this.#sharingMemo = undefined;
    this.#gateways = undefined;
    this.#tunnels = undefined;
    const pods = fabric.pods;
    this.#podGroup = new Int32Array(pods.count).fill(-1);
    this.#groups = [];
    this.#classes = [];
    this.#classByKey = new Map();
    this.#atomPods = new Map();
    this.#oddPods = [];
    this.#subnetGroups = new Map();
    this.#otherGroups = [];
    if (fabric.irregular !== undefined) {
      this.#traceAll();
      return;
    }
    this.#atoms = Atoms.of(cutPrefixes(fabric));
    this.#srcPrefixes = [];
    const seen = new Set<string>();
    for (const h of fabric.hosts) {
      for (const r of h.rules) {
        if (r.src && !seen.has(`${r.src.base}/${r.src.mask}`)) {
          seen.add(`${r.src.base}/${r.src.mask}`);
          this.#srcPrefixes.push({ base: r.src.base, mask: r.src.mask });
        }
      }
    }
    this.#srcClassIds = new Map();
    this.#ev = new Evaluator(fabric, this.#atoms, (a) => this.#srcClass(a));
    this.#ev.onRecord = (key, a, record) => {
      for (const x of record.outcome.hosts) {
        let m = this.#hostStates.get(x);
        if (m === undefined) this.#hostStates.set(x, m = new Map());
        m.set(key, a);
      }
    };
    this.#profiles = fabric.hosts.map((h) => this.#profile(h));
    this.#indexOwnData();
    this.#indexIps();
    const groupIds = new Map<string, number>();
    let last = -1;
    for (let p = 0; p < pods.count; p++) {
      if (pods.odd[p]) {
        this.#oddPods.push(p);
        continue;
      }
      const cls = this.#srcClass(pods.ip[p]);
      // A /32 (a routed pod) has no subnet to share: only its gateway matters.
      const subnet = pods.subnetBits[p] === 32 ? 0 : pods.subnet[p];
      const proxy = pods.proxyArp[p] === 1;
      // Pods of one bridge usually share everything: reuse the last group.
      const prev = last >= 0 ? this.#groups[last] : undefined;
      let g = prev !== undefined && prev.domain === pods.domain[p] &&
          prev.subnet === subnet && prev.bits === pods.subnetBits[p] &&
          prev.gateway === pods.gateway[p] && prev.srcClass === cls &&
          prev.ttl === pods.ttl[p] && prev.proxyArp === proxy
        ? last
        : undefined;
      const key = g === undefined
        ? `${pods.domain[p]}|${subnet}/${pods.subnetBits[p]}|${pods.gateway[p]}|${cls}|${
          pods.ttl[p]
        }|${proxy}`
        : "";
      if (g === undefined) g = groupIds.get(key);
      if (g === undefined) {
        g = this.#groups.length;
        groupIds.set(key, g);
        this.#groups.push({
          id: g,
          host: pods.host[p],
          domain: pods.domain[p],
          subnet,
          proxyArp: proxy,
          bits: pods.subnetBits[p],
          gateway: pods.gateway[p],
          srcClass: this.#srcClass(pods.ip[p]),
          ttl: pods.ttl[p],
          pods: [],
          mode: "none",
          gwPod: -1,
          cls: -1,
        });
      }
      this.#groups[g].pods.push(p);
      this.#podGroup[p] = g;
      last = g;
      const atom = this.#atoms.of(pods.ip[p]);
      const list = this.#atomPods.get(atom);
      if (list) list.push(p);
      else this.#atomPods.set(atom, [p]);
    }
    const podAtoms = Int32Array.from(this.#atomPods.keys()).sort();
    this.#auxAtoms = new Set();
    for (const e of fabric.baseFdb) this.#auxAtoms.add(this.#atoms.of(e.dst));
    for (const h of fabric.hosts) {
      for (const e of h.ownFdb) this.#auxAtoms.add(this.#atoms.of(e.dst));
      for (const r of h.rules) if (r.to !== NONE) this.#auxAtoms.add(this.#atoms.of(r.to));
    }
    // IP-in-IP remotes: the outer path to a tunnel's far end depends on the routes there.
    for (const a of this.#tunnelEnds(fabric, fabric.baseRoutes)) this.#auxAtoms.add(a);
    for (const h of fabric.hosts) {
      for (const a of this.#tunnelEnds(fabric, h.ownRoutes)) this.#auxAtoms.add(a);
    }
    for (const g of this.#groups) {
      this.#classify(g);
      if (g.bits < 32) {
        const [a, b] = this.#atoms.range(g.subnet, g.bits);
        for (let i = lowerBound(podAtoms, a); i < podAtoms.length && podAtoms[i] <= b; i++) {
          push(this.#subnetGroups, podAtoms[i], g.id);
        }
      }
    }
    this.#traceOdd();
    this.#sameIpPieces();
    for (const a of this.#atomPods.keys()) this.#computeAtom(a);
  }

  #indexIps() {
    const pods = this.#fabric.pods;
    const order = new Uint32Array(pods.count);
    for (let p = 0; p < pods.count; p++) order[p] = p;
    order.sort((a, b) => pods.ip[a] - pods.ip[b] || a - b);
    this.#byIp = order;
    this.#ips = new Uint32Array(pods.count);
    for (let i = 0; i < pods.count; i++) this.#ips[i] = pods.ip[order[i]];
    this.#dup = new Uint8Array(pods.count);
    for (let i = 1; i < pods.count; i++) {
      if (this.#ips[i] === this.#ips[i - 1]) {
        this.#dup[order[i]] = 1;
        this.#dup[order[i - 1]] = 1;
      }
    }
  }

  /** First position of `ip` in the sorted IPs, or -1. */
  #ipAt(ip: number): number {
    const at = lowerBound(this.#ips, ip);
    return at < this.#ips.length && this.#ips[at] === ip ? at : -1;
  }

  /** The pods holding `ip`, in pod order. */
  #podsWithIp(ip: number): number[] {
    const at = this.#ipAt(ip);
    if (at < 0) return [];
    const out: number[] = [];
    for (let i = at; i < this.#ips.length && this.#ips[i] === ip; i++) out.push(this.#byIp[i]);
    return out;
  }

  #srcClass(addr: number): number {
    let sig = "";
    let bits = 0;
    const ps = this.#srcPrefixes;
    for (let i = 0; i < ps.length; i++) {
      const hit = ((addr ^ ps[i].base) & ps[i].mask) === 0;
      if (i < 30) bits |= hit ? 1 << i : 0;
      else sig += hit ? "1" : "0";
    }
    sig = `${bits}:${sig}`;
    let id = this.#srcClassIds.get(sig);
    if (id === undefined) {
      id = this.#srcClassIds.size;
      this.#srcClassIds.set(sig, id);
    }
    return id;
  }

  /** Everything about a host but its own addresses, routes and table entries. */
  #profile(h: FHost): string {
    return JSON.stringify([
      h.role,
      h.ipForward,
      h.defaultTtl,
      h.forwardPolicy,
      h.rules.map((r) => r.text),
      h.devices.map((d) => [
        d.kind === "veth"
          ? h.rules.map((r) => [ifaceMatches(r.inIface, d.name), ifaceMatches(r.outIface, d.name)])
          : d.name,
        d.kind,
        d.up,
        d.mtu,
        d.segment,
        d.vni,
        d.dstport,
        d.via,
        d.local === undefined || d.local === NONE ? 0 : 1,
        d.remote === undefined || d.remote === NONE ? NONE : d.remote,
        d.local !== undefined && d.local !== NONE &&
          h.devices.some((x) =>
            x.up && x.kind !== "loopback" && x.addresses.some((a) => a.addr === d.local)
          )
          ? 1
          : 0,
        d.addresses.map((a) => [a.bits, this.#srcClass(a.addr)]),
      ]),
    ]);
  }

  #indexOwnData() {
    const f = this.#fabric;
    this.#coverers = new Map();
    this.#neighHosts = new Map();
    this.#fdbHosts = new Map();
    this.#ownKeys = new Map();
    f.hosts.forEach((h, i) => this.#indexHostOwn(h, i));
  }

  #indexHostOwn(h: FHost, i: number) {
    const f = this.#fabric;
    const keys = { atoms: [] as number[], neigh: [] as number[], fdb: [] as number[] };
    const cover = (dst: number, bits: number) => {
      const [a, b] = this.#atoms.range(dst, bits);
      for (let x = a; x <= b; x++) {
        pushUnique(this.#coverers, x, i);
        keys.atoms.push(x);
      }
    };
    for (const r of h.ownRoutes) cover(r.dst, r.bits);
    // A routed pod's /32 is the node's own route, kept with the pods.
    for (const ip of this.#ev.routedIps[i].keys()) cover(ip, 32);
    for (const id of h.removedRoutes) cover(f.baseRoutes[id].dst, f.baseRoutes[id].bits);
    const neigh = (addr: number) => {
      pushUnique(this.#neighHosts, addr, i);
      keys.neigh.push(addr);
    };
    for (const n of h.ownNeighbours) neigh(n.addr);
    for (const id of h.removedNeighbours) neigh(f.baseNeighbours[id].addr);
    const fdb = (mac: number) => {
      pushUnique(this.#fdbHosts, mac, i);
      keys.fdb.push(mac);
    };
    for (const e of h.ownFdb) fdb(e.mac);
    for (const id of h.removedFdb) fdb(f.baseFdb[id].mac);
    this.#ownKeys.set(i, keys);
  }

  /** Takes a host out of the own-data indexes. */
  #unindexHostOwn(i: number) {
    const keys = this.#ownKeys.get(i);
    if (keys === undefined) return;
    const drop = (m: Map<number, number[]>, k: number) => {
      const list = m.get(k);
      const at = list?.indexOf(i) ?? -1;
      if (at >= 0) list!.splice(at, 1);
    };
    for (const a of keys.atoms) drop(this.#coverers, a);
    for (const a of keys.neigh) drop(this.#neighHosts, a);
    for (const m of keys.fdb) drop(this.#fdbHosts, m);
    this.#ownKeys.delete(i);
  }

  /** How a group's gateway is reached, and its group class. */
  #classify(g: Group) {
    const f = this.#fabric;
    const host = f.hosts[g.host];
    const routed = f.domains[g.domain].routed === true;
    const bridge = host.devices.find((d) =>
      d.kind === (routed ? "veth" : "bridge") && d.domain === g.domain
    );
    g.cls = -1;
    g.gwPod = -1;
    if (bridge === undefined || !bridge.up) {
      g.mode = "dead";
      this.#otherGroups.push(g.id);
      return;
    }
    // A routed pod's gateway is answered by the node's proxy ARP, or by nobody.
    const viaHost = routed
      ? this.#ev.proxyAnswers(
        g.host,
        bridge.name,
        g.gateway,
        g.proxyArp,
        f.pods.ip[g.pods[0]],
      )
      : this.#ev.isLocal(g.host, g.gateway);
    if (routed && !viaHost) {
      g.mode = "none";
      this.#otherGroups.push(g.id);
      return;
    }
    if (viaHost) {
      g.mode = "host";
      // Routed host ends go by each pod's name; the profile says how rules match them.
      const key = `${this.#profiles[g.host]}|${
        routed ? "routed" : bridge.name
      }|${g.srcClass}|${g.ttl}|${this.#sharing() ? "" : g.host}`;
      let c = this.#classByKey.get(key);
      if (c === undefined) {
        c = this.#classes.length;
        this.#classByKey.set(key, c);
        this.#classes.push({ id: c, key, groups: [], byHost: new Map(), pods: 0 });
      }
      const cls = this.#classes[c];
      cls.groups.push(g.id);
      push(cls.byHost, g.host, g.id);
      cls.pods += g.pods.length;
      g.cls = c;
      return;
    }
    const pods = f.pods;
    for (const x of f.domains[g.domain].pods) {
      if (pods.up[x] && pods.ip[x] === g.gateway) {
        g.mode = "pod";
        g.gwPod = x;
        break;
      }
    }
    if (g.mode !== "pod") g.mode = "none";
    this.#otherGroups.push(g.id);
  }

  #sharingMemo?: boolean;

  /** Hosts may share results only when no host address is held twice. */
  #sharing(): boolean {
    if (this.#sharingMemo !== undefined) return this.#sharingMemo;
    let ok = true;
    for (const [addr, hosts] of this.#ev.localHosts) {
      if (hosts.length > 1 || this.#podsWithIp(addr).length > 0) ok = false;
    }
    return (this.#sharingMemo = ok);
  }

  // --- per atom -----------------------------------------------------------------------------

  #pkt(g: Group, atom: number): Pkt {
    const pods = this.#fabric.pods;
    return {
      src: pods.ip[g.pods[0]],
      srcOrig: true,
      srcClass: g.srcClass,
      dst: pods.ip[this.#atomPods.get(atom)![0]],
      dstSym: true,
      natted: false,
      size: PROBE_SIZE,
    };
  }

  #bridgeName(g: Group): string {
    return this.#fabric.domains[g.domain].bridge;
  }

  #hostCell(g: Group, atom: number): Outcome {
    return this.#ev.state(g.host, this.#bridgeName(g), this.#pkt(g, atom)).outcome;
  }

  /** Outcome of a group's pods sending into their own subnet (ARP from the pod). */
  #podSide(g: Group, atom: number): Outcome {
    const d0 = this.#fabric.pods.ip[this.#atomPods.get(atom)![0]];
    if (this.#ev.isLocal(g.host, d0)) return this.#hostCell(g, atom);
    return { kind: "resolve", domain: g.domain, src: -1, natted: false, fwd: 0, hosts: [g.host] };
  }

  #constant(g: Group): Outcome {
    if (g.mode === "pod") {
      if (this.#fabric.pods.odd[g.gwPod]) {
        return { kind: "unknown", why: "gateway is a non-standard pod", hosts: [g.host] };
      }
      return { kind: "pod", pod: g.gwPod, dst: -1, src: -1, natted: false, fwd: 0, hosts: [] };
    }
    return { kind: "drop", reason: "neighbour-unreachable", fwd: 0, hosts: [g.host] };
  }

  #conflicts(reads: Reads, cls: GroupClass): Set<number> {
    const out = new Set<number>();
    const add = (hosts: readonly number[] | undefined) => {
      for (const h of hosts ?? []) if (cls.byHost.has(h)) out.add(h);
    };
    for (let i = 0; i < reads.length; i += 2) {
      const v = reads[i + 1];
      switch (reads[i]) {
        case ReadKind.Atom:
          add(this.#coverers.get(v));
          break;
        case ReadKind.Local:
          add(this.#ev.localHosts.get(v));
          break;
        case ReadKind.Neighbour:
          add(this.#neighHosts.get(v));
          break;
        case ReadKind.Mac:
          add(this.#fdbHosts.get(v));
          break;
      }
    }
    return out;
  }

  /** The shared outcome of a group class for an atom. */
  #classCell(cls: GroupClass, atom: number): Cell {
    const key = `${cls.id}|${atom}`;
    const known = this.#cells.get(key);
    if (known) return known;
    const subnet = new Set(this.#subnetGroups.get(atom) ?? []);
    const tried = new Set<number>();
    let cell: Cell | undefined;
    for (let attempt = 0; attempt < 4 && cell === undefined; attempt++) {
      const g = cls.groups.find((x) => !subnet.has(x) && !tried.has(this.#groups[x].host));
      if (g === undefined) break;
      const group = this.#groups[g];
      tried.add(group.host);
      const rec = this.#ev.state(group.host, this.#bridgeName(group), this.#pkt(group, atom));
      if (rec.selfUse || !this.#sharing()) {
        cell = { outcome: rec.outcome, conflicts: new Set(), rep: -1, hosts: rec.outcome.hosts };
        break;
      }
      const conflicts = this.#conflicts(rec.reads, cls);
      if (!conflicts.has(group.host)) {
        cell = { outcome: rec.outcome, conflicts, rep: group.host, hosts: rec.outcome.hosts };
      }
    }
    cell ??= {
      outcome: { kind: "unknown", why: "", hosts: [] },
      conflicts: new Set(),
      rep: -1,
      hosts: [],
    };
    this.#cells.set(key, cell);
    return cell;
  }

  #computeAtom(atom: number) {
    const dsts = this.#atomPods.get(atom);
    const old = this.#atomResults.get(atom);
    if (old) {
      this.#failingAtoms -= old.failing;
      this.#tracedAtoms -= old.traced;
      for (const h of old.hosts) this.#hostAtoms.get(h)?.delete(atom);
    }
    if (dsts === undefined) {
      this.#atomResults.delete(atom);
      return;
    }
    const entries: { sources: SourceSet; outcome: Outcome; ttl: number }[] = [];
    const hosts = new Set<number>();
    const subnet = this.#subnetGroups.get(atom) ?? [];
    const subnetSet = new Set(subnet);
    for (const cls of this.#classes) {
      const cell = this.#classCell(cls, atom);
      const ttl = this.#groups[cls.groups[0]].ttl;
      const minus = new Set<number>();
      for (const g of subnet) if (this.#groups[g].cls === cls.id) minus.add(g);
      const individual = cell.rep < 0 ? [...cls.groups] : [];
      for (const h of cell.conflicts) {
        for (const g of cls.byHost.get(h) ?? []) if (!subnetSet.has(g)) individual.push(g);
      }
      for (const g of individual) {
        if (subnetSet.has(g) || minus.has(g)) continue;
        minus.add(g);
        const o = this.#hostCell(this.#groups[g], atom);
        o.hosts.forEach((x) => hosts.add(x));
        hosts.add(this.#groups[g].host);
        entries.push({ sources: { kind: "group", group: g }, outcome: o, ttl });
      }
      if (cell.rep >= 0 && minus.size < cls.groups.length) {
        cell.hosts.forEach((x) => hosts.add(x));
        hosts.add(cell.rep);
        entries.push({
          sources: { kind: "class", cls: cls.id, minus },
          outcome: cell.outcome,
          ttl,
        });
      }
    }
    for (const g of subnet) {
      const group = this.#groups[g];
      const o = group.mode === "dead" ? this.#constant(group) : this.#podSide(group, atom);
      o.hosts.forEach((x) => hosts.add(x));
      hosts.add(group.host);
      entries.push({ sources: { kind: "group", group: g }, outcome: o, ttl: group.ttl });
    }
    for (const g of this.#otherGroups) {
      if (subnetSet.has(g)) continue;
      const group = this.#groups[g];
      entries.push({
        sources: { kind: "group", group: g },
        outcome: this.#constant(group),
        ttl: group.ttl,
      });
      hosts.add(group.host);
    }
    const pieces: Piece[] = [];
    let failing = 0;
    let traced = 0;
    for (const e of entries) {
      for (const piece of this.#expand(e.sources, e.outcome, e.ttl, dsts)) {
        pieces.push(piece);
        if (piece.problem !== undefined) failing += piece.pairs;
        if (piece.traced) traced++;
      }
    }
    for (const h of hosts) {
      let s = this.#hostAtoms.get(h);
      if (s === undefined) this.#hostAtoms.set(h, s = new Set());
      s.add(atom);
    }
    this.#atomResults.set(atom, { pieces, failing, traced, hosts });
    this.#failingAtoms += failing;
    this.#tracedAtoms += traced;
  }

  // --- settling outcomes per destination ------------------------------------------------------

  #inSources(s: SourceSet, p: number): boolean {
    const g = this.#podGroup[p];
    if (g < 0) return false;
    if (s.kind === "group") return s.group === g;
    if (s.kind === "pods") return s.pods.includes(p);
    return this.#groups[g].cls === s.cls && !s.minus.has(g);
  }

  #sourceCount(s: SourceSet): number {
    if (s.kind === "group") return this.#groups[s.group].pods.length;
    if (s.kind === "pods") return s.pods.length;
    let n = this.#classes[s.cls].pods;
    for (const g of s.minus) n -= this.#groups[g].pods.length;
    return n;
  }

  /** The problem of destination `q` (or undefined when fine), and special sources. */
  #settle(o: Outcome, ttl: number, q: number): {
    problem: Problem | undefined | "unknown";
    special?: { pods: readonly number[]; problem: Problem | undefined };
  } {
    const pods = this.#fabric.pods;
    if (o.kind === "unknown") return { problem: "unknown" };
    if (o.kind === "fork") {
      return this.#settle(this.#routedTo(o.domain, pods.ip[q]) >= 0 ? o.then : o.otherwise, ttl, q);
    }
    if (o.fwd >= ttl) return { problem: { kind: "dropped", reason: "ttl-exceeded" } };
    const dropped = (reason: DropReason): Problem => ({ kind: "dropped", reason });
    const delivered = (src: number, natted: boolean) => {
      if (src === -1) {
        return { problem: natted ? { kind: "nat-applied" } as const : undefined };
      }
      const rewritten: Problem = { kind: "source-rewritten", seen: Addr.fromUint32(src >>> 0) };
      const same = this.#podsWithIp(src);
      return {
        problem: rewritten,
        special: same.length > 0
          ? { pods: same, problem: { kind: "nat-applied" } as const }
          : undefined,
      };
    };
    switch (o.kind) {
      case "drop":
        return { problem: dropped(o.reason) };
      case "host":
        return { problem: dropped("wrong-pod") };
      case "resolve": {
        const ans = this.#fabric.domains[o.domain].routed
          ? this.#routedTo(o.domain, pods.ip[q])
          : this.#dup[q]
          ? this.#firstAnswer(o.domain, pods.ip[q])
          : pods.domain[q] === o.domain && pods.up[q]
          ? q
          : -1;
        if (ans < 0) return { problem: dropped("neighbour-unreachable") };
        if (pods.odd[ans]) return { problem: "unknown" };
        if (o.src !== -1 && o.src === pods.ip[ans]) return { problem: dropped("martian-source") };
        if (ans !== q) return { problem: dropped("wrong-pod") };
        return delivered(o.src, o.natted);
      }
      case "pod": {
        const x = o.pod;
        if (o.src !== -1 && o.src === pods.ip[x]) return { problem: dropped("martian-source") };
        const dd = o.dst === -1 ? pods.ip[q] : o.dst;
        const martian = o.src === -1
          ? { pods: this.#podsWithIp(pods.ip[x]), problem: dropped("martian-source") }
          : undefined;
        if (dd !== pods.ip[x]) return { problem: dropped("ip-forward-off"), special: martian };
        if (x !== q) return { problem: dropped("wrong-pod"), special: martian };
        const d = delivered(o.src, o.natted);
        return { problem: d.problem, special: martian ?? d.special };
      }
    }
  }

  /** The pod of a routed domain whose `/32` route its node holds for `ip`, or -1. */
  #routedTo(domain: number, ip: number): number {
    const x = this.#ev.routedIps[this.#fabric.domains[domain].host].get(ip);
    return x !== undefined && this.#fabric.pods.domain[x] === domain ? x : -1;
  }

  #firstAnswer(domain: number, ip: number): number {
    const pods = this.#fabric.pods;
    const at = this.#ipAt(ip);
    if (at < 0) return -1;
    const x = this.#byIp[at];
    if (!this.#dup[x]) return pods.domain[x] === domain && pods.up[x] ? x : -1;
    for (const x of this.#fabric.domains[domain].pods) {
      if (pods.up[x] && pods.ip[x] === ip) return x;
    }
    return -1;
  }

  #expand(sources: SourceSet, o: Outcome, ttl: number, dsts: readonly number[]): Piece[] {
    const count = this.#sourceCount(sources);
    if (count === 0) return [];
    const pods = this.#fabric.pods;
    const byProblem = new Map<string, Piece>();
    const extra: Piece[] = [];
    for (const q of dsts) {
      const r = this.#settle(o, ttl, q);
      const except: [number, number][] = [];
      let n = count;
      if (this.#inSources(sources, q)) n--;
      if (this.#dup[q]) {
        for (const p of this.#podsWithIp(pods.ip[q])) {
          if (p !== q && this.#inSources(sources, p)) {
            n--;
            except.push([p, q]);
          }
        }
      }
      if (r.special) {
        for (const p of r.special.pods) {
          if (p === q || pods.ip[p] === pods.ip[q] || !this.#inSources(sources, p)) continue;
          n--;
          except.push([p, q]);
          if (r.problem === "unknown") continue;
          extra.push(this.#pairPiece(p, q, r.special.problem));
        }
      }
      if (r.problem === "unknown") {
        for (const p of this.#expandSources(sources)) {
          if (p === q || except.some(([a]) => a === p)) continue;
          extra.push(this.#tracePair(p, q));
        }
        continue;
      }
      const key = r.problem === undefined ? "ok" : problemKey(r.problem);
      let piece = byProblem.get(key);
      if (piece === undefined) {
        piece = { problem: r.problem, sources, destinations: [], except: [], pairs: 0 };
        byProblem.set(key, piece);
      }
      piece.destinations.push(q);
      piece.except.push(...except);
      piece.pairs += n;
    }
    return [...byProblem.values(), ...extra];
  }

  *#expandSources(s: SourceSet): Generator<number> {
    if (s.kind === "pods") yield* s.pods;
    else if (s.kind === "group") yield* this.#groups[s.group].pods;
    else {
      for (const g of this.#classes[s.cls].groups) {
        if (!s.minus.has(g)) yield* this.#groups[g].pods;
      }
    }
  }

  #pairPiece(p: number, q: number, problem: Problem | undefined): Piece {
    return {
      problem,
      sources: { kind: "pods", pods: [p] },
      destinations: [q],
      except: [],
      pairs: 1,
    };
  }

  // --- traced pairs ------------------------------------------------------------------------------

  /** The pair-by-pair check of one pair (the real tracer), not counted. */
  #check(p: number, q: number): ReturnType<typeof checkPair> {
    const world = this.#fabric.world;
    const pods = this.#fabric.pods;
    if (world === undefined) {
      throw new Error(
        `Pair ${pods.name(p)} → ${pods.name(q)} needs the tracer, but the fabric has no world`,
      );
    }
    const a = podNamed(world, pods.name(p))!;
    const b = podNamed(world, pods.name(q))!;
    return checkPair(
      world,
      { pod: a, ip: podIp(world, a)!, namespace: a.namespace! },
      { pod: b, ip: podIp(world, b)! },
    );
  }

  /** A pair the compact form cannot decide, decided by the tracer and counted. */
  #tracePair(p: number, q: number): Piece {
    const found = this.#check(p, q);
    return {
      traced: true,
      problem: found ? toProblem(found.problem) : undefined,
      sources: { kind: "pods", pods: [p] },
      destinations: [q],
      except: [],
      pairs: 1,
      trace: found?.trace,
    };
  }

  #traceOdd() {
    this.#traced = [];
    const n = this.#fabric.pods.count;
    const odd = new Set(this.#oddPods);
    for (const p of this.#oddPods) {
      for (let q = 0; q < n; q++) if (q !== p) this.#traced.push(this.#tracePair(p, q));
    }
    for (const q of this.#oddPods) {
      for (let p = 0; p < n; p++) {
        if (p !== q && !odd.has(p)) this.#traced.push(this.#tracePair(p, q));
      }
    }
  }

  #traceAll() {
    this.#traced = [];
    this.#sameIp = [];
    const n = this.#fabric.pods.count;
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) if (q !== p) this.#traced.push(this.#tracePair(p, q));
    }
  }

  /** Pairs of standard pods sharing one IP: the sender delivers to itself. */
  #sameIpPieces() {
    this.#sameIp = [];
    const pods = this.#fabric.pods;
    for (let i = 0; i < this.#ips.length;) {
      let j = i + 1;
      while (j < this.#ips.length && this.#ips[j] === this.#ips[i]) j++;
      if (j - i < 2) {
        i = j;
        continue;
      }
      const holders = [...this.#byIp.subarray(i, j)];
      i = j;
      const std = holders.filter((p) => !pods.odd[p]);
      if (std.length < 2) continue;
      this.#sameIp.push({
        problem: { kind: "dropped", reason: "wrong-pod" },
        sources: { kind: "pods", pods: std },
        destinations: std,
        except: [],
        pairs: std.length * (std.length - 1),
      });
    }
  }

  // --- results -------------------------------------------------------------------------------------

  /**
   * The current verdict.
   *
   * @returns Counts and the failure sets (merged by sources and problem).
   */
  result(): Verification {
    const n = this.#fabric.pods.count;
    const failures: FailureSet[] = [];
    const merged = new Map<string, Piece & { destinations: number[] }>();
    const add = (p: Piece) => {
      if (p.problem === undefined || p.pairs === 0) return;
      if (p.sources.kind === "pods" || p.trace) {
        failures.push(p as FailureSet);
        return;
      }
      const key = `${sourceKey(p.sources)}|${problemKey(p.problem)}`;
      const m = merged.get(key);
      if (m === undefined) {
        merged.set(key, {
          ...p,
          destinations: [...p.destinations],
          except: [...p.except],
        });
      } else {
        m.destinations.push(...p.destinations);
        m.except.push(...p.except);
        m.pairs += p.pairs;
      }
    };
    for (const r of this.#atomResults.values()) r.pieces.forEach(add);
    this.#traced.forEach(add);
    this.#sameIp.forEach(add);
    failures.push(...(merged.values() as Iterable<FailureSet>));
    const failing = failures.reduce((s, f) => s + f.pairs, 0);
    return {
      holds: failing === 0,
      pods: n,
      checked: n * (n - 1),
      failing,
      traced: this.tracedPairs,
      failures,
    };
  }

  /**
   * Every failing ordered pair, expanded from the failure sets.
   *
   * @param v A result of this verifier.
   * @returns `[source pod, destination pod, problem]` triples.
   */
  *failingPairs(v: Verification): Generator<readonly [number, number, Problem]> {
    for (const f of v.failures) {
      const except = new Set(f.except.map(([p, q]) => `${p}|${q}`));
      for (const q of f.destinations) {
        for (const p of this.#expandSources(f.sources)) {
          if (p === q || except.has(`${p}|${q}`)) continue;
          yield [p, q, f.problem];
        }
      }
    }
  }

  /**
   * The pods of a source set, by index.
   *
   * @param s The set.
   * @returns Pod indexes.
   */
  sourcePods(s: SourceSet): number[] {
    return [...this.#expandSources(s)];
  }

  /**
   * A full kernel trace for one pair of a failure set (the real tracer, on
   * the world the fabric came from).
   *
   * @param f The failure set.
   * @returns The trace, or undefined when the fabric has no world.
   */
  witness(f: FailureSet): Trace | undefined {
    if (f.trace) return f.trace;
    if (this.#fabric.world === undefined) return undefined;
    for (const q of f.destinations) {
      for (const p of this.#expandSources(f.sources)) {
        if (p === q || f.except.some(([a, b]) => a === p && b === q)) continue;
        return this.#check(p, q)?.trace;
      }
    }
    return undefined;
  }

  // --- incremental ------------------------------------------------------------------------------

  /**
   * Verifies a new fabric from scratch, in place (after an edit that
   * {@linkcode Verifier.replaceHost} cannot apply incrementally).
   *
   * @param fabric The edited fabric.
   */
  rebuild(fabric: Fabric): void {
    this.#build(fabric);
  }

  /**
   * Replaces host `h` by `host` and re-checks what it can affect.
   *
   * @param h The host's index.
   * @param host Its new compact form.
   * @returns False when the change needs {@linkcode Verifier.rebuild}
   *   instead (new atom boundaries, devices or addresses changed, new
   *   source classes).
   */
  replaceHost(h: number, host: FHost): boolean {
    return this.#replaceHost(h, host);
  }

  /**
   * Points the fabric at the world it now stands for (witness traces run on it).
   *
   * @param world The edited world.
   */
  setWorld(world: World): void {
    this.#fabric = { ...this.#fabric, world };
    if (this.#ev) this.#ev.fabric = this.#fabric;
  }

  /**
   * Replaces one host and re-checks what it can affect. Returns false when
   * the change needs a full rebuild (new atom boundaries, devices or
   * addresses changed, new source classes).
   */
  #replaceHost(h: number, host: FHost): boolean {
    const f = this.#fabric;
    if (f.irregular !== undefined) return false;
    const old = f.hosts[h];
    if (
      old.devices !== host.devices && JSON.stringify(old.devices) !== JSON.stringify(host.devices)
    ) {
      return false;
    }
    for (const r of host.ownRoutes) if (!this.#atoms.aligned(r.dst, r.bits)) return false;
    // A new IP-in-IP far end is a new outer path to watch.
    for (const a of this.#tunnelEnds(f, host.ownRoutes)) if (!this.#auxAtoms.has(a)) return false;
    for (const r of host.rules) {
      if (r.dst && !this.#atoms.aligned(r.dst.base, bitsOf(r.dst.mask))) return false;
      if (r.to !== NONE && !this.#atoms.aligned(r.to, 32)) return false;
      if (
        r.src && !this.#srcPrefixes.some((p) => p.base === r.src!.base && p.mask === r.src!.mask)
      ) {
        return false;
      }
    }
    const tablesSame = old.ownNeighbours === host.ownNeighbours &&
      old.removedNeighbours === host.removedNeighbours && old.ownFdb === host.ownFdb &&
      old.removedFdb === host.removedFdb;
    if (!tablesSame) {
      // A neighbour entry for an address that is not an atom boundary yet needs new atoms.
      for (const n of host.ownNeighbours) if (!this.#atoms.aligned(n.addr, 32)) return false;
    }
    // The verifier's own copy of the hosts array (made in #build) is updated in place.
    (f.hosts as FHost[])[h] = host;
    this.#ev.ix[h] = this.#ev.indexHost(host, h);
    const sameProfile = old.devices === host.devices && old.rules === host.rules &&
      old.ipForward === host.ipForward && old.defaultTtl === host.defaultTtl &&
      old.forwardPolicy === host.forwardPolicy && old.role === host.role;
    const profile = sameProfile ? this.#profiles[h] : this.#profile(host);
    const profileChanged = profile !== this.#profiles[h];
    this.#profiles[h] = profile;
    // Own-data indexes: drop this host, add it back.
    this.#unindexHostOwn(h);
    this.#indexHostOwn(host, h);
    // Which atoms and states the change can reach.
    const touched = this.#touchedAtoms(old, host);
    // A route to a routed pod's gateway decides the node's proxy ARP: its groups change.
    const gateways = this.#gatewayAtoms(h);
    const gwTouched = gateways.length > 0 &&
      (touched === "all" || gateways.some((a) => touched.has(a)));
    const everything = profileChanged || touched === "all" || gwTouched;
    const states = this.#hostStates.get(h);
    if (states) {
      for (const [key, a] of states) {
        if (everything || a < 0 || (touched as Set<number>).has(a)) {
          this.#ev.memo.delete(key);
          states.delete(key);
        }
      }
    }
    const dirty = new Set<number>();
    if (everything) {
      for (const a of this.#atomPods.keys()) dirty.add(a);
    } else {
      for (const a of touched as Set<number>) if (this.#atomPods.has(a)) dirty.add(a);
    }
    for (const a of this.#hostAtoms.get(h) ?? []) {
      if (everything || (touched as Set<number>).has(a)) dirty.add(a);
    }
    if (profileChanged || gwTouched) {
      // The host's groups change class: rebuild the classes (cheap: groups only).
      this.#regroup();
      this.#cells.clear();
    } else {
      for (const a of dirty) {
        for (const cls of this.#classes) this.#cells.delete(`${cls.id}|${a}`);
      }
    }
    // States of other hosts that passed through h for a dirty atom.
    for (const a of dirty) this.#dropStatesThrough(h, a);
    for (const a of dirty) this.#computeAtom(a);
    if (this.#oddPods.length > 0) this.#traceOdd();
    return true;
  }

  /** Names of the IP-in-IP devices, and their remotes' atoms (devices change only by a rebuild). */
  #tunnels?: { readonly names: ReadonlySet<string>; readonly remotes: readonly number[] };

  /** Atoms of IP-in-IP far ends: the gateways of routes out of, and the remotes of, tunnel devices. */
  #tunnelEnds(f: Fabric, routes: readonly { dev: string; via: number }[]): number[] {
    if (this.#tunnels === undefined) {
      const names = new Set<string>();
      const remotes: number[] = [];
      for (const h of f.hosts) {
        for (const d of h.devices) {
          if (d.kind !== "ipip") continue;
          names.add(d.name);
          if (d.remote !== undefined && d.remote !== NONE) remotes.push(this.#atoms.of(d.remote));
        }
      }
      this.#tunnels = { names, remotes };
    }
    const out = [...this.#tunnels.remotes];
    if (this.#tunnels.names.size === 0) return out;
    for (const r of routes) {
      if (this.#tunnels.names.has(r.dev) && r.via !== NONE) out.push(this.#atoms.of(r.via));
    }
    return out;
  }

  /** Atoms of the gateways of each host's routed pods (by host; built once per build). */
  #gateways?: Map<number, number[]>;

  #gatewayAtoms(h: number): readonly number[] {
    if (this.#gateways === undefined) {
      const f = this.#fabric;
      const by = new Map<number, number[]>();
      for (const d of f.domains) {
        if (!d.routed) continue;
        for (const x of d.pods) pushUnique(by, d.host, this.#atoms.of(f.pods.gateway[x]));
      }
      this.#gateways = by;
    }
    return this.#gateways.get(h) ?? [];
  }

  #dropStatesThrough(h: number, atom: number) {
    const states = this.#hostStates.get(h);
    if (!states) return;
    for (const [key, a] of states) {
      if (a === atom || a < 0) {
        this.#ev.memo.delete(key);
        states.delete(key);
      }
    }
  }

  /** Atoms whose forwarding at the host changed ("all" when not only routes changed). */
  #touchedAtoms(old: FHost, host: FHost): Set<number> | "all" {
    const f = this.#fabric;
    const same = (a: readonly unknown[], b: readonly unknown[]) =>
      JSON.stringify(a) === JSON.stringify(b);
    const tablesSame = old.ownNeighbours === host.ownNeighbours &&
      old.removedNeighbours === host.removedNeighbours && old.ownFdb === host.ownFdb &&
      old.removedFdb === host.removedFdb;
    if (
      !tablesSame && (
        !same(old.ownNeighbours, host.ownNeighbours) || !same([...old.removedNeighbours], [
          ...host.removedNeighbours,
        ]) || !same(old.ownFdb, host.ownFdb) || !same([...old.removedFdb], [...host.removedFdb])
      )
    ) return "all";
    const out = new Set<number>();
    const key = (r: { dst: number; bits: number; metric: number; via: number; dev: string }) =>
      `${r.dst}/${r.bits}|${r.metric}|${r.via}|${r.dev}`;
    const before = new Set(old.ownRoutes.map(key));
    const after = new Set(host.ownRoutes.map(key));
    const changed: { dst: number; bits: number }[] = [];
    for (const r of old.ownRoutes) if (!after.has(key(r))) changed.push(r);
    for (const r of host.ownRoutes) if (!before.has(key(r))) changed.push(r);
    for (const id of old.removedRoutes) {
      if (!host.removedRoutes.has(id)) changed.push(f.baseRoutes[id]);
    }
    for (const id of host.removedRoutes) {
      if (!old.removedRoutes.has(id)) changed.push(f.baseRoutes[id]);
    }
    for (const r of changed) {
      const [a, b] = this.#atoms.range(r.dst, r.bits);
      for (let x = a; x <= b; x++) {
        // A change under an overlay remote or a NAT address can change the
        // path of anything through this host.
        if (this.#auxAtoms.has(x)) return "all";
        out.add(x);
      }
    }
    return out;
  }

  #regroup() {
    this.#classes = [];
    this.#classByKey = new Map();
    this.#otherGroups = [];
    for (const g of this.#groups) this.#classify(g);
  }

  /** How many pairs were decided by tracing in the last (re)computation. */
  get tracedPairs(): number {
    return this.#tracedAtoms + this.#traced.length;
  }

  /**
   * The verdict's numbers, kept up to date incrementally (O(1) after an
   * edit, unlike {@linkcode Verifier.result}, which gathers the sets).
   *
   * @returns Pods, checked and failing pairs.
   */
  summary(): Summary {
    const n = this.#fabric.pods.count;
    let failing = this.#failingAtoms;
    for (const p of this.#traced) if (p.problem) failing += p.pairs;
    for (const p of this.#sameIp) failing += p.pairs;
    return {
      holds: failing === 0,
      pods: n,
      checked: n * (n - 1),
      failing,
      traced: this.tracedPairs,
    };
  }

  /**
   * The equivalence classes the last (re)check worked with: how many
   * destination classes (atoms) and source classes it evaluated instead of
   * every pod pair.
   *
   * @returns The counts.
   * @example
   * ```ts
   * import { generateFabric, Verifier } from "./mod.js";
   * import { unwrap } from "../result.js";
   * const v = new Verifier(unwrap(generateFabric({ mode: "host-gw", nodes: 10, podsPerNode: 3 }), (e) => e.message));
   * v.classes().destinations; // 10: one per node's pod CIDR
   * v.classes().groupClasses; // 1: every node's pods send alike
   * ```
   */
  classes(): Classes {
    const regular = this.#fabric.irregular === undefined;
    return {
      atoms: regular ? this.#atoms.count : 0,
      destinations: regular ? this.#atomPods.size : 0,
      groups: regular ? this.#groups.length : 0,
      groupClasses: regular ? this.#classes.length : 0,
      states: regular ? this.#ev.memo.size : 0,
      oddPods: this.#oddPods.length,
    };
  }

  /**
   * Ordered pod pairs by Kubernetes node pair: how many there are and how
   * many fail (see {@linkcode nodeMatrix}).
   *
   * @returns Node names and the two matrices.
   */
  nodeMatrix(): NodeMatrix {
    return nodeMatrix(this.#view());
  }

  /**
   * The failing pairs from one Kubernetes node's pods to another's, by
   * problem, with an example pair for each (see {@linkcode nodePair}).
   *
   * @param from Index of the source node (in `fabric.nodes`).
   * @param to Index of the destination node.
   * @returns The cell.
   */
  nodePair(from: number, to: number): NodePairView {
    return nodePair(this.#view(), from, to);
  }

  /** The verdict as the views read it. */
  #view(): PieceView {
    const atomResults = this.#atomResults;
    const traced = this.#traced;
    const sameIp = this.#sameIp;
    return {
      fabric: this.#fabric,
      pieces: function* () {
        for (const r of atomResults.values()) yield* r.pieces;
        yield* traced;
        yield* sameIp;
      },
      sourceGroups: (s) =>
        (s.kind === "group"
          ? [s.group]
          : s.kind === "class"
          ? this.#classes[s.cls].groups.filter((g) => !s.minus.has(g))
          : []).map((g) => this.#groups[g].pods),
      inSources: (s, p) => this.#inSources(s, p),
      expandSources: (s) => this.#expandSources(s),
    };
  }

  /**
   * The kernel's trace of one pair (the probe `natFreeReachability` sends),
   * on the world the fabric came from.
   *
   * @param p Source pod index.
   * @param q Destination pod index.
   * @returns The trace, or undefined when the fabric has no world.
   */
  tracePair(p: number, q: number): Trace | undefined {
    if (this.#fabric.world === undefined) return undefined;
    return this.#check(p, q)?.trace ?? this.#traceOk(p, q);
  }

  /** A trace of a pair that passes (checkPair returns no trace then). */
  #traceOk(p: number, q: number): Trace {
    const world = this.#fabric.world!;
    const pods = this.#fabric.pods;
    const a = podNamed(world, pods.name(p))!;
    const b = podNamed(world, pods.name(q))!;
    const ip = podIp(world, b)!;
    return traceResolved(world, {
      namespace: a.namespace!,
      pod: a,
      dst: ip,
      intended: b,
      claimants: podsWithIp(world, ip),
      proto: "icmp",
      size: PROBE_SIZE,
      df: true,
    });
  }
}

/** The numbers of a verdict. */
export interface Summary {
  readonly holds: boolean;
  readonly pods: number;
  readonly checked: number;
  readonly failing: number;
  readonly traced: number;
}

/** The equivalence classes of a verification (see {@linkcode Verifier.classes}). */
export interface Classes {
  /** Destination atoms: the address space cut at every prefix any decision looks at. */
  readonly atoms: number;
  /** Atoms holding pods: the destination classes that were verified. */
  readonly destinations: number;
  /** Source groups: pods sharing a bridge, subnet, gateway, TTL and source class. */
  readonly groups: number;
  /** Group classes: groups on hosts configured alike, evaluated once per destination. */
  readonly groupClasses: number;
  /** Forwarding states evaluated and remembered ("this packet class at this host"). */
  readonly states: number;
  /** Pods outside the compact form, whose pairs are traced one by one. */
  readonly oddPods: number;
}

/** Hooks `incremental.ts` uses. */
function toProblem(p: ReachProblem): Problem {
  if (p.kind === "dropped") return { kind: "dropped", reason: p.drop.reason };
  if (p.kind === "source-rewritten") return { kind: "source-rewritten", seen: p.seen };
  return { kind: "nat-applied" };
}

function sourceKey(s: SourceSet): string {
  if (s.kind === "group") return `g${s.group}`;
  if (s.kind === "pods") return `p${s.pods.join(",")}`;
  return `c${s.cls}-${[...s.minus].sort((a, b) => a - b).join(",")}`;
}

function push<K>(m: Map<K, number[]>, k: K, v: number) {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

function pushUnique<K>(m: Map<K, number[]>, k: K, v: number) {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else if (!list.includes(v)) list.push(v);
}

/** Every prefix whose ends are atom boundaries. */
function* cutPrefixes(f: Fabric): Generator<readonly [number, number]> {
  yield [0, 32];
  yield [0x7f000000, 8];
  for (const r of f.baseRoutes) yield [r.dst, r.bits];
  for (const n of f.baseNeighbours) yield [n.addr, 32];
  for (const h of f.hosts) {
    for (const r of h.ownRoutes) yield [r.dst, r.bits];
    for (const n of h.ownNeighbours) yield [n.addr, 32];
    for (const r of h.rules) {
      if (r.dst) yield [r.dst.base, bitsOf(r.dst.mask)];
      if (r.to !== NONE) yield [r.to, 32];
    }
    for (const d of h.devices) {
      for (const a of d.addresses) {
        if (d.kind === "loopback") yield [a.addr, a.bits];
        else yield [a.addr, 32];
      }
    }
  }
  const pods = f.pods;
  const gateways = new Set<number>();
  for (const d of f.domains) {
    if (d.routed) {
      for (const x of d.pods) gateways.add(pods.gateway[x]);
    }
  }
  for (const g of gateways) yield [g, 32];
  const seen = new Set<number>();
  for (let p = 0; p < pods.count; p++) {
    // A /32 (a routed pod) cuts nothing: its address is settled per pod.
    if (pods.subnetBits[p] === 32) continue;
    const k = pods.subnet[p] * 64 + pods.subnetBits[p];
    if (seen.has(k)) continue;
    seen.add(k);
    if (pods.subnetBits[p] < 32) yield [pods.subnet[p], pods.subnetBits[p]];
  }
}

/** The first index of a sorted array whose value is at least `v`. */
function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function bitsOf(mask: number): number {
  let bits = 0;
  let m = mask >>> 0;
  while (m & 0x80000000) {
    bits++;
    m = (m << 1) >>> 0;
  }
  return bits;
}
