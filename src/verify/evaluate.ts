/**
 * The evaluator: the tracer's decisions (`trace/tracer.ts`) replayed on the
 * compact form for a whole class of packets at once — every source address
 * of one source class to every destination of one atom. It follows the
 * same order of checks: martians, nat PREROUTING, local delivery, route
 * lookup, ip_forward, TTL, MTU with DF, filter FORWARD, nat POSTROUTING,
 * neighbour table or ARP, bridge, underlay segment, VXLAN encapsulation
 * and decapsulation.
 *
 * The one decision that differs inside an atom — which pod owns the exact
 * destination address — stays symbolic: an outcome can end in "ARP for the
 * destination on bridge B" (`resolve`) or "pod X receives it" (`pod`), and
 * the verifier settles those per destination pod. Whatever the compact form
 * cannot follow (ARP through a VXLAN device, several VXLAN remotes, a route
 * out of a host veth, an overlay packet sent to a pod, ...) ends in
 * `unknown`: the verifier then traces those pairs with the real tracer.
 *
 * Outcomes of "packet class arrives at host H on device D" states are
 * memoised; each records the hosts it passed (for incremental
 * invalidation) and which of its host's own data it read (for sharing one
 * result between hosts with the same configuration).
 *
 * @module
 */
import type { DropReason } from "../trace/types.js";
import { maskOf } from "../addr/mod.js";
import { VXLAN_OVERHEAD } from "../wire/vxlan.js";
import { IPIP_OVERHEAD } from "../wire/ipip.js";
import {
  type AddressView,
  chainVerdict,
  fragmentSize,
  frameFits,
  ifaceMatches,
  inPrefix,
  martianDestination,
  martianSource,
  pickSource,
  preferRoute,
  vxlanPathMtu,
} from "../forward/rules.js";
import { addressesLocal } from "../world/routes.js";
import { answersArp } from "../forward/arp.js";
import { proxyArpAnswer } from "../forward/proxyarp.js";
import type { Atoms } from "./atoms.js";
import {
  type Fabric,
  type FDevice,
  type FHost,
  type FRoute,
  type FRule,
  NONE,
  OWN_SRC,
} from "./fabric.js";

/** Where a class of packets ends up. `fwd` counts forwarding hops (TTL decrements). */
export type Outcome =
  | {
    readonly kind: "drop";
    readonly reason: DropReason;
    readonly fwd: number;
    readonly hosts: readonly number[];
  }
  | {
    /** ARP for the (symbolic) destination on a bridge: the first pod owning it receives. */
    readonly kind: "resolve";
    readonly domain: number;
    /** Source address the receiver sees, or -1 for the sending pod's own. */
    readonly src: number;
    readonly natted: boolean;
    readonly fwd: number;
    readonly hosts: readonly number[];
  }
  | {
    /** Pod `pod` receives the packet: delivered when the destination is its address. */
    readonly kind: "pod";
    readonly pod: number;
    /** Destination (after DNAT), or -1 for the symbolic destination. */
    readonly dst: number;
    readonly src: number;
    readonly natted: boolean;
    readonly fwd: number;
    readonly hosts: readonly number[];
  }
  | {
    /** Delivered to a host namespace (so to no pod: "wrong pod"). */
    readonly kind: "host";
    readonly host: number;
    readonly fwd: number;
    readonly hosts: readonly number[];
  }
  | {
    /**
     * A route lookup on a node with routed pods (`routed.ts`): `then` when the
     * destination is a pod of routed domain `domain` whose `/32` route the
     * node holds, else `otherwise`.
     */
    readonly kind: "fork";
    readonly domain: number;
    readonly then: Outcome;
    readonly otherwise: Outcome;
    readonly hosts: readonly number[];
  }
  | { readonly kind: "unknown"; readonly why: string; readonly hosts: readonly number[] };

/**
 * What of a host's own data a read was about: an atom looked up in its
 * routing table, an address checked for locality, a next hop looked up in
 * its neighbour table, a MAC looked up in its VXLAN FDB (0 = the default
 * entries).
 */
export const ReadKind = { Atom: 0, Local: 1, Neighbour: 2, Mac: 3 } as const;

/**
 * Data of its own host the evaluation of a state read (see `Verifier`
 * class sharing), as `[kind, value, kind, value, ...]`.
 */
export type Reads = number[];

/** A memoised state: its outcome, what it read of its own host, and whether it depends on who that host is. */
export interface StateRecord {
  readonly outcome: Outcome;
  readonly reads: Reads;
  /** True when the result mentions the host's own identity (its pods, its address as NAT source). */
  readonly selfUse: boolean;
}

interface Outer {
  /** IP in IP (protocol 4, DF and TTL from the inner packet) instead of VXLAN. */
  readonly ipip?: boolean;
  /** The host that encapsulated, and the source it gave the outer header. */
  readonly from: number;
  readonly localSrc: number;
  readonly ttl: number;
  readonly dport: number;
  readonly vni: number;
  readonly innerMac: number;
  readonly inner: Pkt;
}

/** A packet class: the source (class or address) and destination (atom or address). */
export interface Pkt {
  /** Representative source address. */
  readonly src: number;
  /** True while the source is the sending pod's own address (class `srcClass`). */
  readonly srcOrig: boolean;
  readonly srcClass: number;
  /** Representative destination address. */
  readonly dst: number;
  /** True while the destination is the symbolic pod address (not rewritten by DNAT). */
  readonly dstSym: boolean;
  readonly natted: boolean;
  /** Bytes on the wire (the fragment size once fragmented). */
  readonly size: number;
  readonly outer?: Outer;
}

/** The probe `natFreeReachability` sends: ICMP echo, 84 bytes, DF. */
export const PROBE_SIZE = 84;

interface Frame {
  readonly host: number;
  readonly reads: Reads;
  selfUse: boolean;
  readonly hosts: number[];
}

class Unknown {
  constructor(readonly why: string) {}
}

/** Per-host lookup structures. */
interface HostIx {
  readonly dev: Map<string, FDevice>;
  readonly local: Set<number>;
  readonly loopback: readonly { addr: number; bits: number }[];
  readonly removedRoutes: ReadonlySet<number>;
  readonly removedNeighbours: ReadonlySet<number>;
  readonly removedFdb: ReadonlySet<number>;
  /** Own neighbour entries by "addr|dev". */
  readonly neigh: Map<string, number>;
  /** Own FDB entries by "dev|mac". */
  readonly fdb: Map<string, number[]>;
}

/**
 * The compact forwarding semantics of one fabric, with the memo of states.
 */
export class Evaluator {
  fabric: Fabric;
  readonly atoms: Atoms;
  /** Base route ids containing each atom, best first. */
  readonly chains: (readonly number[])[];
  readonly ix: HostIx[];
  /** Hosts that have each address as a local address. */
  readonly localHosts = new Map<number, number[]>();
  /** MAC → NIC on a segment (host index and device). */
  readonly nicByMac = new Map<number, { host: number; dev: FDevice }>();
  readonly memo = new Map<string, StateRecord>();
  /** Base neighbour entries by "addr|dev" → ids; base FDB by "dev|mac" → ids. */
  readonly baseNeigh = new Map<string, number[]>();
  readonly baseFdb = new Map<string, number[]>();
  /** Position of every NIC on its segment: segment → "host|dev" → index. */
  readonly segmentPos = new Map<string, Map<string, number>>();
  readonly inProgress = new Map<string, number>();
  /** Source-class representative addresses. */
  srcClassOf: (addr: number) => number;
  /** Per host: its routed pods' addresses (with their `/32` route) → pod, and their atoms. */
  readonly routedIps: Map<number, number>[];
  readonly routedAtoms: Set<number>[];
  #pathFwd = 0;
  #frames: Frame[] = [];
  #podMacs?: Map<number, number>;

  constructor(fabric: Fabric, atoms: Atoms, srcClassOf: (addr: number) => number) {
    this.fabric = fabric;
    this.atoms = atoms;
    this.srcClassOf = srcClassOf;
    this.chains = buildChains(fabric, atoms);
    fabric.baseNeighbours.forEach((n, i) => pushTo(this.baseNeigh, `${n.addr}|${n.dev}`, i));
    fabric.baseFdb.forEach((e, i) => pushTo(this.baseFdb, `${e.dev}|${e.mac}`, i));
    for (const seg of fabric.segments.values()) {
      this.segmentPos.set(seg.name, new Map(seg.members.map((m, i) => [`${m.host}|${m.dev}`, i])));
    }
    this.ix = fabric.hosts.map((h, i) => this.indexHost(h, i));
    this.routedIps = fabric.hosts.map(() => new Map());
    this.routedAtoms = fabric.hosts.map(() => new Set());
    const pods = fabric.pods;
    for (const d of fabric.domains) {
      if (!d.routed) continue;
      for (const x of d.pods) {
        if (!pods.hostRoute[x]) continue;
        this.routedIps[d.host].set(pods.ip[x], x);
        this.routedAtoms[d.host].add(atoms.of(pods.ip[x]));
      }
    }
  }

  /** The routed domain of host `h` (its `veth` device), if any. */
  routedDevice(h: number): FDevice | undefined {
    for (const d of this.fabric.hosts[h].devices) if (d.kind === "veth") return d;
    return undefined;
  }

  /**
   * Whether host `h` answers a routed pod's ARP for its gateway by proxy
   * (the rule of `forward/proxyarp.ts`, asked on the compact form).
   *
   * @param h The host.
   * @param dev The routed domain's device.
   * @param gateway The gateway address.
   * @param on `proxy_arp` on the pod's host end.
   * @param sender The pod's address.
   * @returns True when it answers.
   */
  proxyAnswers(h: number, dev: string, gateway: number, on: boolean, sender: number): boolean {
    return proxyArpAnswer({
      on,
      ipForward: this.fabric.hosts[h].ipForward,
      device: dev,
      target: gateway,
      sender,
      isLocal: (v) => this.isLocal(h, v),
      lookup: () => this.lookup(h, gateway),
    }) !== undefined;
  }

  /** (Re)builds the lookup structures of host `i` after an edit. */
  indexHost(h: FHost, i: number): HostIx {
    const dev = new Map(h.devices.map((d) => [d.name, d]));
    const local = new Set<number>();
    const loopback: { addr: number; bits: number }[] = [];
    for (const d of h.devices) {
      if (!addressesLocal(d.kind, d.up)) continue;
      for (const a of d.addresses) {
        if (d.kind === "loopback") loopback.push(a);
        else local.add(a.addr);
      }
      if (d.kind === "nic" && d.up) this.nicByMac.set(d.mac, { host: i, dev: d });
    }
    for (const a of local) {
      const list = this.localHosts.get(a);
      if (list === undefined) this.localHosts.set(a, [i]);
      else if (!list.includes(i)) list.push(i);
    }
    const neigh = new Map<string, number>();
    for (const n of h.ownNeighbours) neigh.set(`${n.addr}|${n.dev}`, n.mac);
    const fdb = new Map<string, number[]>();
    for (const e of h.ownFdb) {
      const k = `${e.dev}|${e.mac}`;
      const list = fdb.get(k);
      if (list) list.push(e.dst);
      else fdb.set(k, [e.dst]);
    }
    return {
      dev,
      local,
      loopback,
      removedRoutes: h.removedRoutes,
      removedNeighbours: h.removedNeighbours,
      removedFdb: h.removedFdb,
      neigh,
      fdb,
    };
  }

  // --- entry points -------------------------------------------------------------

  /**
   * The outcome of a packet class arriving at host `h` on device `inDev`
   * (memoised).
   *
   * @param h The host.
   * @param inDev The device it arrives on.
   * @param p The packet class.
   * @returns The state's record.
   */
  state(h: number, inDev: string, p: Pkt): StateRecord {
    const key = stateKey(h, inDev, p, this.atoms);
    const known = this.memo.get(key);
    if (known) {
      if (this.#frames.length > 0 && known.outcome.hosts.includes(this.frame.host)) {
        this.frame.selfUse = true;
      }
      return known;
    }
    const entered = this.inProgress.get(key);
    if (entered !== undefined) {
      // A routing loop: TTL runs out whatever it started at.
      const outcome: Outcome = this.#pathFwd > entered
        ? { kind: "drop", reason: "ttl-exceeded", fwd: Infinity, hosts: [h] }
        : { kind: "unknown", why: "loop without forwarding", hosts: [h] };
      return { outcome, reads: emptyReads(), selfUse: false };
    }
    const parent = this.#frames.length > 0 ? this.frame : undefined;
    this.inProgress.set(key, this.#pathFwd);
    const frame: Frame = { host: h, reads: emptyReads(), selfUse: false, hosts: [] };
    this.#frames.push(frame);
    let outcome: Outcome;
    try {
      outcome = this.ipReceive(h, this.dev(h, inDev), p);
    } catch (e) {
      if (!(e instanceof Unknown)) throw e;
      outcome = { kind: "unknown", why: e.why, hosts: frame.hosts };
    } finally {
      this.#frames.pop();
      this.inProgress.delete(key);
    }
    const hosts = mergeHosts(frame.hosts, outcome.hosts);
    const record: StateRecord = {
      outcome: hosts === outcome.hosts ? outcome : { ...outcome, hosts },
      reads: frame.reads,
      selfUse: frame.selfUse,
    };
    this.memo.set(key, record);
    this.onRecord?.(key, p.dstSym ? this.atoms.of(p.dst) : -1, record);
    if (parent && record.outcome.hosts.includes(parent.host)) parent.selfUse = true;
    return record;
  }

  /** Called for every new memoised state (the verifier indexes them). */
  onRecord?: (key: string, atom: number, record: StateRecord) => void;

  /** Forgets every memoised state. */
  clear(): void {
    this.memo.clear();
  }

  // --- receive and forward ------------------------------------------------------------

  private get frame(): Frame {
    return this.#frames[this.#frames.length - 1];
  }

  private visit(h: number) {
    const f = this.frame;
    if (!f.hosts.includes(h)) f.hosts.push(h);
    else if (h === f.host) f.selfUse = true;
  }

  private dev(h: number, name: string): FDevice {
    const d = this.ix[h].dev.get(name);
    if (d === undefined) throw new Unknown(`${this.fabric.hosts[h].name} has no device ${name}`);
    return d;
  }

  /** `localDevice`: an address of any device but lo, or inside an up loopback's prefix. */
  isLocal(h: number, v: number): boolean {
    const x = this.ix[h];
    if (x.local.has(v)) return true;
    for (const a of x.loopback) if (inPrefix(v, a.addr, a.bits)) return true;
    return false;
  }

  private localRead(h: number, v: number): boolean {
    if (h === this.frame.host && this.localHosts.has(v)) this.frame.reads.push(ReadKind.Local, v);
    return this.isLocal(h, v);
  }

  private drop(reason: DropReason, fwd = 0): Outcome {
    return { kind: "drop", reason, fwd, hosts: [] };
  }

  private ipReceive(h: number, inDev: FDevice, p: Pkt): Outcome {
    this.visit(h);
    const host = this.fabric.hosts[h];
    // A host the compact form cannot model: the pairs whose packets get here are traced.
    if (host.opaque !== undefined) throw new Unknown(host.opaque);
    if (inDev.kind !== "loopback") {
      if (!p.srcOrig && (martianSource(p.src) || this.localRead(h, p.src))) {
        return this.drop("martian-source");
      }
      if (martianDestination(p.dst)) return this.drop("martian-destination");
    }
    let q = p;
    const dnat = firstMatch(host, "nat", "PREROUTING", q, inDev.name, undefined);
    if (dnat && dnat.target === "DNAT") {
      q = { ...q, dst: dnat.to, dstSym: false, natted: true };
    }
    if (this.localRead(h, q.dst)) return this.deliver(h, q);
    const dev = q.dstSym && this.routedAtoms[h].has(this.atoms.of(q.dst))
      ? this.routedDevice(h)
      : undefined;
    if (dev === undefined) {
      return this.routeOut(h, inDev, this.lookup(h, q.dst, undefined, q.dstSym), q);
    }
    // Whether the node holds a /32 to the destination is the symbolic part.
    const then = this.branch(h, () => this.routeOut(h, inDev, podRoute(dev.name), q));
    const otherwise = this.branch(
      h,
      () => this.routeOut(h, inDev, this.lookup(h, q.dst, undefined, true), q),
    );
    return { kind: "fork", domain: dev.domain!, then, otherwise, hosts: [] };
  }

  private routeOut(h: number, inDev: FDevice, route: FRoute | undefined, q: Pkt): Outcome {
    if (!this.fabric.hosts[h].ipForward) return this.drop("ip-forward-off");
    if (route === undefined) return this.drop("no-route");
    if (route.type !== "unicast") return this.drop("route-rejects");
    return this.forward(h, inDev, route, q);
  }

  /** One side of a fork: what the compact form cannot follow stays on that side. */
  private branch(h: number, run: () => Outcome): Outcome {
    try {
      return run();
    } catch (e) {
      if (!(e instanceof Unknown)) throw e;
      return { kind: "unknown", why: e.why, hosts: [h] };
    }
  }

  private deliver(h: number, p: Pkt): Outcome {
    if (p.outer?.ipip) return this.ipipReceive(h, p);
    if (p.outer) return this.vxlanReceive(h, p);
    return { kind: "host", host: h, fwd: 0, hosts: [] };
  }

  private forward(h: number, inDev: FDevice, route: FRoute, p: Pkt): Outcome {
    const host = this.fabric.hosts[h];
    let q = p;
    if (q.outer) {
      // An IP-in-IP outer header carries the inner packet's TTL: the pairs decide it.
      if (q.outer.ipip) throw new Unknown("IP-in-IP packet forwarded");
      if (q.outer.ttl <= 1) return this.drop("ttl-exceeded");
    }
    const fwd = q.outer ? 0 : 1;
    const out = this.dev(h, route.dev);
    const sized = this.mtuCheck(out, q);
    if (sized === undefined) return this.drop("mtu-exceeded", fwd);
    q = sized;
    if (q.outer) q = { ...q, outer: { ...q.outer, ttl: q.outer.ttl - 1 } };
    const filter = firstMatch(host, "filter", "FORWARD", q, inDev.name, out.name);
    const verdict = chainVerdict(filter?.target, host.forwardPolicy);
    if (verdict === "DROP") return this.drop("forward-drop", fwd);
    this.#pathFwd += fwd;
    try {
      const o = this.output(h, route, q);
      return fwd === 0 ? o : addFwd(o, fwd);
    } finally {
      this.#pathFwd -= fwd;
    }
  }

  /** The MTU check with DF; a VXLAN outer packet (no DF) is fragmented. */
  private mtuCheck(dev: FDevice, p: Pkt): Pkt | undefined {
    if (p.size <= dev.mtu) return p;
    if (!p.outer || p.outer.ipip) return undefined;
    return { ...p, size: fragmentSize(dev.mtu) };
  }

  private output(h: number, route: FRoute, p: Pkt): Outcome {
    const host = this.fabric.hosts[h];
    let q = p;
    const snat = firstMatch(host, "nat", "POSTROUTING", q, undefined, route.dev);
    if (snat?.target === "SNAT") {
      q = { ...q, src: snat.to, srcOrig: false, natted: true };
    } else if (snat?.target === "MASQUERADE") {
      const src = this.selectSource(h, { ...route, src: NONE });
      if (src === undefined) return this.drop("no-source-address");
      if (h === this.frame.host) this.frame.selfUse = true;
      q = { ...q, src, srcOrig: false, natted: true };
    }
    const dev = this.dev(h, route.dev);
    if (dev.kind === "loopback") {
      if (q.outer) throw new Unknown("overlay packet looped back");
      return this.state(h, dev.name, q).outcome;
    }
    // An IP-in-IP device resolves no neighbour (it has no link layer).
    if (dev.kind === "ipip") return this.ipipXmit(h, dev, route, q);
    const nextSym = route.via === NONE && q.dstSym;
    const nextHop = route.via !== NONE ? route.via : q.dst;
    if (h === this.frame.host) this.frame.reads.push(ReadKind.Neighbour, nextHop);
    const entry = this.neighbour(h, `${nextHop}|${dev.name}`);
    if (entry !== undefined) return this.l2Out(h, dev, entry, q);
    return this.arp(h, dev, nextHop, nextSym, q);
  }

  /** Neighbour resolution by ARP, then the frame goes out. */
  private arp(h: number, dev: FDevice, nextHop: number, nextSym: boolean, p: Pkt): Outcome {
    // The overlay source a host gave its own packet is its own address on
    // every host of a class (the profile records that it is local).
    const ownOuter = p.outer !== undefined && p.outer.from === h && p.src === p.outer.localSrc &&
      this.isLocal(h, p.src);
    const sip = ownOuter || this.localRead(h, p.src) ? p.src : dev.addresses[0]?.addr;
    if (!dev.up) return this.drop("neighbour-unreachable");
    switch (dev.kind) {
      case "bridge": {
        if (h === this.frame.host) this.frame.selfUse = true;
        if (p.outer) throw new Unknown("overlay packet sent into a bridge");
        if (nextSym) return resolveOn(dev, p);
        const pods = this.fabric.pods;
        for (const x of this.fabric.domains[dev.domain!].pods) {
          if (!pods.up[x] || !answersArp((a) => a === pods.ip[x], nextHop, sip)) continue;
          return this.toPod(x, p);
        }
        return this.drop("neighbour-unreachable");
      }
      case "nic": {
        if (h === this.frame.host) this.frame.reads.push(ReadKind.Local, nextHop);
        if (nextHop >>> 24 === 127) throw new Unknown("ARP for a loopback address");
        // The first NIC of the segment (in the world's order) whose host owns
        // the next hop and not the ARP sender address answers.
        let best: { host: number; dev: FDevice } | undefined;
        let bestPos = Infinity;
        const pos = this.segmentPos.get(dev.segment!)!;
        for (const c of this.localHosts.get(nextHop) ?? []) {
          if (!answersArp((a) => this.isLocal(c, a), nextHop, sip)) continue;
          for (const d of this.fabric.hosts[c].devices) {
            if (d.kind !== "nic" || d.segment !== dev.segment || !d.up) continue;
            if (c === h && d.name === dev.name) continue;
            const at = pos.get(`${c}|${d.name}`)!;
            if (at < bestPos) {
              bestPos = at;
              best = { host: c, dev: d };
            }
          }
        }
        if (best === undefined) return this.drop("neighbour-unreachable");
        return this.l2Out(h, dev, best.dev.mac, p);
      }
      case "vxlan": {
        if (h === this.frame.host) this.frame.reads.push(ReadKind.Mac, 0);
        if (this.remotes(h, `${dev.name}|0`).length > 0) {
          throw new Unknown("ARP through a VXLAN device");
        }
        return this.drop("neighbour-unreachable");
      }
      case "loopback":
        throw new Unknown("neighbour on a loopback device");
      case "ipip":
        throw new Unknown("an IP-in-IP tunnel");
      case "veth": {
        // The routed pod behind the host end answers for its own address.
        if (h === this.frame.host) this.frame.selfUse = true;
        if (p.outer) throw new Unknown("overlay packet sent to a routed pod");
        if (nextSym) return resolveOn(dev, p);
        const x = this.routedIps[h].get(nextHop);
        const ip = this.fabric.pods.ip;
        if (x === undefined || !answersArp((a) => a === ip[x], nextHop, sip)) {
          return this.drop("neighbour-unreachable");
        }
        return this.toPod(x, p);
      }
    }
  }

  private toPod(x: number, p: Pkt): Outcome {
    if (this.fabric.pods.odd[x]) throw new Unknown("frame for a non-standard pod");
    if (p.outer) throw new Unknown("overlay packet sent to a pod");
    return {
      kind: "pod",
      pod: x,
      dst: p.dstSym ? -1 : p.dst,
      src: p.srcOrig ? -1 : p.src,
      natted: p.natted,
      fwd: 0,
      hosts: [],
    };
  }

  // --- layer 2 ---------------------------------------------------------------------------

  private l2Out(h: number, dev: FDevice, mac: number, p: Pkt): Outcome {
    switch (dev.kind) {
      case "bridge":
        return this.bridgeOut(h, dev, mac, p);
      case "nic":
        return this.crossSegment(h, dev, mac, p);
      case "vxlan":
        return this.vxlanXmit(h, dev, mac, p);
      case "loopback":
        throw new Unknown("frame out of a loopback device");
      case "ipip":
        throw new Unknown("an IP-in-IP tunnel");
      case "veth":
        throw new Unknown("a neighbour entry on a routed veth");
    }
  }

  private bridgeOut(h: number, bridge: FDevice, mac: number, p: Pkt): Outcome {
    if (!bridge.up) return this.drop("device-down");
    if (p.outer) throw new Unknown("overlay packet sent into a bridge");
    if (h === this.frame.host) this.frame.selfUse = true;
    if (mac === bridge.mac) return this.state(h, bridge.name, p).outcome;
    const owner = this.podWithMac(mac);
    const pods = this.fabric.pods;
    if (owner !== undefined && pods.domain[owner] === bridge.domain && pods.up[owner]) {
      return this.toPod(owner, p);
    }
    // A port's own MAC (host veth) would be "local"; the compact form keeps no port MACs.
    if (this.fabric.world === undefined) throw new Unknown("frame for an unknown MAC on a bridge");
    const portMac = this.portMacs().get(mac);
    if (portMac === bridge.domain) return this.state(h, bridge.name, p).outcome;
    return this.drop("unknown-mac");
  }

  #portMacs?: Map<number, number>;

  private portMacs(): Map<number, number> {
    if (this.#portMacs) return this.#portMacs;
    const out = new Map<number, number>();
    const world = this.fabric.world!;
    for (const ns of world.namespaces) {
      const h = this.fabric.hostIndex.get(ns.name);
      if (h === undefined) continue;
      for (const d of ns.devices) {
        if (d.kind !== "veth" || d.master === undefined) continue;
        const dom = this.fabric.domains.findIndex((x) => x.host === h && x.bridge === d.master);
        if (dom >= 0) out.set(d.mac.value, dom);
      }
    }
    return (this.#portMacs = out);
  }

  private podWithMac(mac: number): number | undefined {
    if (this.#podMacs === undefined) {
      this.#podMacs = new Map();
      for (let i = 0; i < this.fabric.pods.count; i++) {
        this.#podMacs.set(this.fabric.pods.mac(i), i);
      }
    }
    return this.#podMacs.get(mac);
  }

  private crossSegment(h: number, dev: FDevice, mac: number, p: Pkt): Outcome {
    const seg = this.fabric.segments.get(dev.segment!);
    if (seg === undefined) throw new Unknown(`no segment ${dev.segment}`);
    if (!frameFits(p.size, seg.mtu)) return this.drop("frame-too-big");
    const target = this.nicByMac.get(mac);
    const onSegment = target !== undefined && target.dev.segment === seg.name &&
      !(target.host === h && target.dev.name === dev.name);
    // nicByMac holds up NICs only; a down NIC with that MAC is "device down".
    if (!onSegment) {
      for (const m of seg.members) {
        if (m.host === h && m.dev === dev.name) continue;
        const nic = this.dev(m.host, m.dev);
        if (nic.mac === mac) {
          this.visit(m.host);
          return nic.up ? this.l2InNic(m.host, nic, p) : this.drop("device-down");
        }
      }
      return this.drop("unknown-mac");
    }
    this.visit(target.host);
    return this.l2InNic(target.host, target.dev, p);
  }

  private l2InNic(h: number, nic: FDevice, p: Pkt): Outcome {
    if (!frameFits(p.size, nic.mtu)) return this.drop("frame-too-big");
    return this.receive(h, nic, p);
  }

  private receive(h: number, dev: FDevice, p: Pkt): Outcome {
    if (p.outer) return this.ipReceive(h, dev, p);
    return this.state(h, dev.name, p).outcome;
  }

  // --- VXLAN ------------------------------------------------------------------------------

  private vxlanXmit(h: number, dev: FDevice, mac: number, p: Pkt): Outcome {
    if (p.outer) throw new Unknown("VXLAN inside VXLAN");
    const own = h === this.frame.host;
    if (own) this.frame.reads.push(ReadKind.Mac, mac);
    let remotes = this.remotes(h, `${dev.name}|${mac}`);
    if (remotes.length === 0) {
      if (own) this.frame.reads.push(ReadKind.Mac, 0);
      remotes = this.remotes(h, `${dev.name}|0`);
    }
    if (remotes.length === 0) return this.drop("no-vxlan-remote");
    if (remotes.length > 1) throw new Unknown("several VXLAN remotes");
    const remote = remotes[0];
    const route = this.lookup(h, remote, dev.via);
    // The VXLAN path MTU check (forward/rules.ts vxlanPathMtu). A host with
    // a VXLAN bridge port is traced pair by pair (fabric.ts), so the device
    // here is never one: a DF packet too big is wrapped anyway, the outer
    // packet fragmented (mtuCheck below).
    if (route?.type === "unicast") {
      const check = vxlanPathMtu(p.size, true, this.dev(h, route.dev).mtu, false);
      if (check.kind === "frag-needed") return this.drop("mtu-exceeded");
    }
    const local = dev.local !== NONE && dev.local !== undefined
      ? dev.local
      : route
      ? this.selectSource(h, route)
      : undefined;
    if (route === undefined) return this.drop("no-route");
    if (route.type !== "unicast") return this.drop("route-rejects");
    if (local === undefined) return this.drop("no-source-address");
    const outer = wrap(p, VXLAN_OVERHEAD, remote, {
      from: h,
      localSrc: local,
      ttl: this.fabric.hosts[h].defaultTtl,
      dport: dev.dstport!,
      vni: dev.vni!,
      innerMac: mac,
      inner: p,
    });
    const out = this.dev(h, route.dev);
    const sized = this.mtuCheck(out, outer);
    if (sized === undefined) return this.drop("mtu-exceeded");
    return this.output(h, route, sized);
  }

  /**
   * IP in IP (the tracer's `ipipXmit`): the outer destination is the
   * device's `remote`, else the route's gateway, else the inner
   * destination; the outer source its `local`, else what the outer route
   * selects; 20 bytes more, DF kept.
   */
  private ipipXmit(h: number, dev: FDevice, route: FRoute, p: Pkt): Outcome {
    if (p.outer) throw new Unknown("a tunnel inside a tunnel");
    const set = (v: number | undefined) => (v === undefined || v === NONE ? undefined : v);
    if (set(dev.remote) === undefined && route.via === NONE && p.dstSym) {
      throw new Unknown("IP-in-IP to the symbolic destination");
    }
    const remote = set(dev.remote) ?? (route.via !== NONE ? route.via : p.dst);
    const outerRoute = this.lookup(h, remote);
    const under = outerRoute?.type === "unicast" ? this.ix[h].dev.get(outerRoute.dev) : undefined;
    if (outerRoute?.type === "unicast" && (under === undefined || under.kind === "ipip")) {
      return this.drop("ipip-no-route");
    }
    if (under !== undefined && p.size + IPIP_OVERHEAD > under.mtu) return this.drop("mtu-exceeded");
    const local = set(dev.local) ??
      (outerRoute?.type === "unicast" ? this.selectSource(h, outerRoute) : undefined);
    if (outerRoute === undefined) return this.drop("no-route");
    if (outerRoute.type !== "unicast") return this.drop("route-rejects");
    if (local === undefined) return this.drop("no-source-address");
    const outer = wrap(p, IPIP_OVERHEAD, remote, {
      ipip: true,
      from: h,
      localSrc: local,
      ttl: 0,
      dport: NONE,
      vni: NONE,
      innerMac: 0,
      inner: p,
    });
    return this.output(h, outerRoute, outer);
  }

  /**
   * An IP-in-IP packet for this host (the tracer's `ipipReceive`): the up
   * tunnel whose ends match (one with both ends set first, else a fallback
   * `tunl0`) unwraps it and the inner packet arrives on that device.
   */
  private ipipReceive(h: number, outer: Pkt): Outcome {
    const o = outer.outer!;
    const fits = (v: number | undefined, want: number) =>
      v === undefined || v === NONE || v === want;
    const tunnels = this.fabric.hosts[h].devices.filter((d) =>
      d.kind === "ipip" && d.up && fits(d.local, outer.dst) && fits(d.remote, outer.src)
    );
    const dev = tunnels.find((d) => d.remote !== undefined && d.remote !== NONE) ?? tunnels[0];
    if (dev === undefined) return this.drop("ipip-no-tunnel");
    const inner: Pkt = { ...o.inner, natted: o.inner.natted || outer.natted };
    return this.state(h, dev.name, inner).outcome;
  }

  private vxlanReceive(h: number, outer: Pkt): Outcome {
    const o = outer.outer!;
    let onPort = false;
    for (const d of this.fabric.hosts[h].devices) {
      if (d.kind !== "vxlan" || !d.up || d.dstport !== o.dport) continue;
      onPort = true;
      if (d.vni !== o.vni) continue;
      if (o.innerMac !== d.mac) return this.drop("not-for-us");
      // The inner packet keeps its own size; NAT on the outer marks the trace.
      const inner: Pkt = { ...o.inner, natted: o.inner.natted || outer.natted };
      return this.state(h, d.name, inner).outcome;
    }
    return this.drop(onPort ? "vxlan-vni-not-found" : "port-unreachable");
  }

  /** The host's neighbour entry for "addr|dev": its own, else a base entry it kept. */
  private neighbour(h: number, key: string): number | undefined {
    const x = this.ix[h];
    const own = x.neigh.get(key);
    if (own !== undefined) return own;
    for (const id of this.baseNeigh.get(key) ?? []) {
      if (!x.removedNeighbours.has(id)) return this.fabric.baseNeighbours[id].mac;
    }
    return undefined;
  }

  /** The remotes of the host's VXLAN FDB for "dev|mac", base entries first. */
  private remotes(h: number, key: string): number[] {
    const x = this.ix[h];
    const out: number[] = [];
    for (const id of this.baseFdb.get(key) ?? []) {
      if (!x.removedFdb.has(id)) out.push(this.fabric.baseFdb[id].dst);
    }
    for (const d of x.fdb.get(key) ?? []) out.push(d);
    return out;
  }

  // --- routing table -----------------------------------------------------------------------

  /**
   * Longest prefix, then lowest metric; `oif` restricts to one device. A
   * concrete address (`symbolic` false) that is a routed pod of the host
   * with its `/32` route takes that route (metric 0, the longest prefix).
   */
  lookup(h: number, v: number, oif?: string, symbolic = false): FRoute | undefined {
    const atom = this.atoms.of(v);
    if (this.#frames.length > 0 && h === this.frame.host) {
      this.frame.reads.push(ReadKind.Atom, atom);
    }
    if (!symbolic && this.routedIps[h].has(v)) {
      const dev = this.routedDevice(h)!;
      if (oif === undefined || oif === dev.name) return podRoute(dev.name);
    }
    const host = this.fabric.hosts[h];
    let best: FRoute | undefined;
    for (const r of host.ownRoutes) {
      if (!inPrefix(v, r.dst, r.bits)) continue;
      if (oif !== undefined && r.dev !== oif) continue;
      if (preferRoute(r, best)) best = r;
    }
    const removed = this.ix[h].removedRoutes;
    for (const id of this.chains[atom]) {
      if (removed.has(id)) continue;
      const r = this.fabric.baseRoutes[id];
      if (oif !== undefined && r.dev !== oif) continue;
      if (preferRoute(r, best)) best = r;
      break;
    }
    return best;
  }

  /**
   * The kernel's source selection (`pickSource`) on the compact form. A
   * shared connected route's `OWN_SRC` stands for the device's own address
   * in the route's subnet, which is what its `src` is on each host.
   */
  selectSource(h: number, route: FRoute): number | undefined {
    const dev = this.ix[h].dev.get(route.dev);
    const preferred = route.src === OWN_SRC
      ? dev?.addresses.find((x) => inPrefix(x.addr, route.dst, route.bits))?.addr
      : route.src === NONE
      ? undefined
      : route.src;
    const via = route.via === NONE ? undefined : route.via;
    const devices = this.fabric.hosts[h].devices;
    return pickSource(preferred, via, dev?.addresses ?? [], devices, NUMBERS);
  }
}

// --- helpers ---------------------------------------------------------------------------------

function pushTo(m: Map<string, number[]>, k: string, v: number) {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The memo key of a state. */
function stateKey(h: number, inDev: string, p: Pkt, atoms: Atoms): string {
  const dst = p.dstSym ? `a${atoms.of(p.dst)}` : `x${p.dst}`;
  const src = p.srcOrig ? `c${p.srcClass}` : `s${p.src}`;
  return `${h}|${inDev}|${dst}|${src}|${p.natted ? 1 : 0}`;
}

function emptyReads(): Reads {
  return [];
}

function mergeHosts(a: readonly number[], b: readonly number[]): readonly number[] {
  let out: number[] | undefined;
  for (const h of a) {
    if (!b.includes(h)) (out ??= [...b]).push(h);
  }
  return out ?? b;
}

function addFwd(o: Outcome, fwd: number): Outcome {
  if (o.kind === "unknown") return o;
  if (o.kind === "fork") {
    return { ...o, then: addFwd(o.then, fwd), otherwise: addFwd(o.otherwise, fwd) };
  }
  return { ...o, fwd: o.fwd + fwd };
}

/** The outer packet of a tunnel: from the tunnel's local end to its remote. */
function wrap(inner: Pkt, overhead: number, remote: number, outer: Outer): Pkt {
  return {
    src: outer.localSrc,
    srcOrig: false,
    srcClass: -1,
    dst: remote,
    dstSym: false,
    natted: inner.natted,
    size: inner.size + overhead,
    outer,
  };
}

/** ARP for the symbolic destination on a bridge or routed veths: settled per pod. */
function resolveOn(dev: FDevice, p: Pkt): Outcome {
  return {
    kind: "resolve",
    domain: dev.domain!,
    src: p.srcOrig ? -1 : p.src,
    natted: p.natted,
    fwd: 0,
    hosts: [],
  };
}

/** A routed pod's `/32` route on its node, out of the domain's device. */
function podRoute(dev: string): FRoute {
  return {
    type: "unicast",
    dst: 0,
    bits: 32,
    metric: 0,
    via: NONE,
    dev,
    onlink: false,
    src: NONE,
    kernel: false,
  };
}

/** How `pickSource` reads the compact form's addresses. */
const NUMBERS: AddressView<number, { readonly addr: number; readonly bits: number }> = {
  addrOf: (a) => a.addr,
  contains: (a, v) => inPrefix(v, a.addr, a.bits),
  hostScope: (a) => a.addr >>> 24 === 127,
};

/** `ruleMatches` of the kernel, on numbers. */
function ruleMatches(r: FRule, p: Pkt, inDev?: string, outDev?: string): boolean {
  if (r.src && ((((p.src ^ r.src.base) & r.src.mask) === 0) === r.src.negate)) return false;
  if (r.dst && ((((p.dst ^ r.dst.base) & r.dst.mask) === 0) === r.dst.negate)) return false;
  if (!ifaceMatches(r.inIface, inDev) || !ifaceMatches(r.outIface, outDev)) return false;
  const proto: string = p.outer ? (p.outer.ipip ? "ipip" : "udp") : "icmp";
  if (r.proto !== undefined && r.proto !== proto) return false;
  if (r.sport !== undefined) {
    // The overlay source port hashes the exact inner addresses (see
    // `outerSourcePort`); such rules are left to the tracer.
    if (!p.outer || p.outer.ipip) return false;
    throw new Unknown("rule on the VXLAN source port");
  }
  if (r.dport !== undefined && (!p.outer || p.outer.ipip || r.dport !== p.outer.dport)) {
    return false;
  }
  return true;
}

function firstMatch(
  host: FHost,
  table: FRule["table"],
  chain: FRule["chain"],
  p: Pkt,
  inDev: string | undefined,
  outDev: string | undefined,
): FRule | undefined {
  for (const r of host.rules) {
    if (r.table === table && r.chain === chain && ruleMatches(r, p, inDev, outDev)) return r;
  }
  return undefined;
}

function buildChains(fabric: Fabric, atoms: Atoms): number[][] {
  const chains: number[][] = Array.from({ length: atoms.count }, () => []);
  fabric.baseRoutes.forEach((r, id) => {
    const [a, b] = atoms.range(r.dst, r.bits);
    for (let i = a; i <= b; i++) chains[i].push(id);
  });
  const base = fabric.baseRoutes;
  for (const c of chains) {
    if (c.length > 1) {
      c.sort((x, y) => base[y].bits - base[x].bits || base[x].metric - base[y].metric || x - y);
    }
  }
  return chains;
}

/** The mask of a prefix length (re-exported for the verifier). */
export { maskOf };
