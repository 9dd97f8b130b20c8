/**
 * The netfilter model: nat PREROUTING (DNAT), nat POSTROUTING (MASQUERADE,
 * SNAT) and the filter FORWARD chain with its policy, with user chains as
 * kube-proxy writes them (`-j CHAIN`, `RETURN`, `MARK`, mark, statistic,
 * addrtype and conntrack matches). Rules are tried in order; a jump runs
 * the user chain and comes back at its end or at RETURN; the first
 * terminal target decides, as in iptables. Every packet a trace follows is
 * the first of its connection (conntrack state NEW), so NAT rules apply to it.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import type { IpHeader } from "../model/packet.js";
import type { CtState, Namespace, Rule, RuleMatch } from "../model/world.js";
import { selectSource } from "./fib.js";
import { chainVerdict, ifaceMatches } from "./rules.js";
import { isLocal } from "../world/routes.js";
import type { Route } from "../model/world.js";

/** Interfaces a rule can match on. */
export interface Interfaces {
  readonly in?: string;
  readonly out?: string;
}

function addrMatches(pattern: RuleMatch["src"], actual: Addr) {
  return pattern === undefined || pattern.prefix.contains(actual) !== pattern.negate;
}

/** What a chain walk knows about the packet besides its header. */
export interface PacketState {
  /** The skb mark (`0` as a packet enters a namespace). */
  readonly mark: number;
  /** Its connection's state; a traced request is `NEW`, its answer `ESTABLISHED`. */
  readonly ctstate: CtState;
  /** Whether an address is local to the namespace (`addrtype LOCAL`). */
  readonly local: (a: Addr) => boolean;
  /** Decides a `statistic` match for this rule (see {@linkcode chainBranches}). */
  readonly chance: (rule: Rule) => boolean;
}

/** A state with mark 0, conntrack NEW, nothing local and every random match taken. */
export const FIRST_PACKET: PacketState = {
  mark: 0,
  ctstate: "NEW",
  local: () => false,
  chance: () => true,
};

/**
 * Whether a rule's matches hold for a packet.
 *
 * @param m The rule's matches.
 * @param ip The packet's header.
 * @param ifaces The input and output interfaces where known.
 * @param state Mark, conntrack state and local addresses (absent: a first packet, mark 0).
 * @param rule The rule, asked to `state.chance` for a statistic match.
 * @returns True when every match holds.
 */
export function ruleMatches(
  m: RuleMatch,
  ip: IpHeader,
  ifaces: Interfaces,
  state: PacketState = FIRST_PACKET,
  rule?: Rule,
): boolean {
  const base = addrMatches(m.src, ip.src) && addrMatches(m.dst, ip.dst) &&
    ifaceMatches(m.inIface, ifaces.in) && ifaceMatches(m.outIface, ifaces.out) &&
    (m.proto === undefined || m.proto === ip.proto) &&
    (m.sport === undefined || m.sport === ip.sport) &&
    (m.dport === undefined || m.dport === ip.dport) &&
    (m.mark === undefined ||
      (((state.mark & m.mark.mask) >>> 0) === m.mark.value) !== m.mark.negate) &&
    (m.dstLocal === undefined || state.local(ip.dst) !== m.dstLocal.negate) &&
    (m.srcLocal === undefined || state.local(ip.src) !== m.srcLocal.negate) &&
    (m.ctstate === undefined || m.ctstate.states.includes(state.ctstate) !== m.ctstate.negate);
  if (!base || m.probability === undefined) return base;
  if (m.probability >= 1) return true;
  if (m.probability <= 0) return false;
  return rule === undefined ? true : state.chance(rule);
}

/** Whether the verifier's compact form evaluates a rule: a built-in forwarding chain, no user chains, marks or kube-proxy matches. */
export function isPlainRule(r: Rule): boolean {
  const m = r.match;
  return ["PREROUTING", "POSTROUTING", "FORWARD"].includes(r.chain) &&
    r.target.kind !== "JUMP" && r.target.kind !== "MARK" &&
    m.mark === undefined && m.probability === undefined && m.dstLocal === undefined &&
    m.srcLocal === undefined &&
    m.ctstate === undefined;
}

/** Each rule list's rules by table, then chain (rule lists never change; indexed once). */
const byChain = new WeakMap<readonly Rule[], Map<Rule["table"], Map<string, Rule[]>>>();

function chainRules(ns: Namespace, table: Rule["table"], chain: string): readonly Rule[] {
  let index = byChain.get(ns.netfilter.rules);
  if (index === undefined) {
    index = new Map();
    for (const r of ns.netfilter.rules) {
      let chains = index.get(r.table);
      if (chains === undefined) index.set(r.table, chains = new Map());
      const list = chains.get(r.chain);
      if (list) list.push(r);
      else chains.set(r.chain, [r]);
    }
    byChain.set(ns.netfilter.rules, index);
  }
  return index.get(table)?.get(chain) ?? NO_RULES;
}

const NO_RULES: readonly Rule[] = [];

/** How deep jumps may nest (the loader refuses jump loops; this bounds a bug). */
export const JUMP_DEPTH = 64;

/** Where a walk through a built-in chain ended. */
export interface ChainWalk {
  /** The terminal rule (ACCEPT, DROP, DNAT, SNAT, MASQUERADE); absent: the built-in chain ran out (or RETURNed) and its policy applies. */
  readonly rule?: Rule;
  /** The mark after every MARK rule the walk passed. */
  readonly mark: number;
  /** Every rule that matched, in order: jumps, marks, the terminal rule. */
  readonly matched: readonly Rule[];
}

/**
 * Walks a built-in chain as iptables does: rules in order, `-j CHAIN`
 * into a user chain and back at its end or at `RETURN`, `MARK` changes the
 * mark and goes on, the first terminal target ends the walk.
 *
 * @param ns The namespace.
 * @param table nat or filter.
 * @param chain The built-in chain.
 * @param ip The packet.
 * @param ifaces Input and output interfaces.
 * @param state Mark, conntrack state, local addresses, random choices.
 * @returns The deciding rule, the final mark and the rules that matched.
 */
export function walkChain(
  ns: Namespace,
  table: Rule["table"],
  chain: string,
  ip: IpHeader,
  ifaces: Interfaces,
  state: PacketState = FIRST_PACKET,
): ChainWalk {
  let mark = state.mark;
  const matched: Rule[] = [];
  const stack: { rules: readonly Rule[]; at: number }[] = [{
    rules: chainRules(ns, table, chain),
    at: 0,
  }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.at >= top.rules.length) {
      stack.pop();
      continue;
    }
    const r = top.rules[top.at++];
    if (!ruleMatches(r.match, ip, ifaces, { ...state, mark }, r)) continue;
    matched.push(r);
    const t = r.target;
    // RETURN in a built-in chain ends it: its policy decides, shown as the rule that did.
    if (t.kind === "RETURN" && stack.length === 1) return { rule: r, mark, matched };
    if (t.kind === "RETURN") stack.pop();
    else if (t.kind === "MARK") mark = ((mark & ~t.mask) ^ t.value) >>> 0;
    else if (t.kind === "JUMP") {
      if (stack.length >= JUMP_DEPTH) {
        throw new Error(`iptables jumps nest deeper than ${JUMP_DEPTH}`);
      }
      stack.push({ rules: chainRules(ns, table, t.chain), at: 0 });
    } else return { rule: r, mark, matched };
  }
  return { mark, matched };
}

/** One way a walk can go through `statistic` rules, with its probability. */
export interface ChainBranch {
  readonly probability: number;
  readonly walk: ChainWalk;
  /** The statistic rules the walk took (matched), in order. */
  readonly taken: readonly Rule[];
}

/** How many branches {@linkcode chainBranches} follows at most. */
export const BRANCH_LIMIT = 4096;

/**
 * Every way a walk can go through random (`statistic`) rules, each with its
 * probability: kube-proxy's `KUBE-SVC-…` chain with n endpoints gives n
 * branches, endpoint i taken with probability 1/n.
 *
 * @param ns The namespace.
 * @param table nat or filter.
 * @param chain The built-in chain.
 * @param ip The packet.
 * @param ifaces Input and output interfaces.
 * @param state Mark, conntrack state and local addresses (its `chance` is replaced).
 * @returns The branches, most likely order as iptables tries them; at most {@linkcode BRANCH_LIMIT}.
 */
export function chainBranches(
  ns: Namespace,
  table: Rule["table"],
  chain: string,
  ip: IpHeader,
  ifaces: Interfaces,
  state: PacketState = FIRST_PACKET,
): ChainBranch[] {
  const out: ChainBranch[] = [];
  const queue: boolean[][] = [[]];
  while (queue.length > 0 && out.length < BRANCH_LIMIT) {
    const prefix = queue.shift()!;
    const decisions: { rule: Rule; took: boolean }[] = [];
    const chance = (rule: Rule) => {
      const i = decisions.length;
      const took = i < prefix.length ? prefix[i] : true;
      decisions.push({ rule, took });
      return took;
    };
    const walk = walkChain(ns, table, chain, ip, ifaces, { ...state, chance });
    let probability = 1;
    decisions.forEach((d, i) => {
      const p = d.rule.match.probability!;
      probability *= d.took ? p : 1 - p;
      if (i >= prefix.length) queue.push([...decisions.slice(0, i).map((x) => x.took), false]);
    });
    out.push({
      probability,
      walk,
      taken: decisions.filter((d) => d.took).map((d) => d.rule),
    });
  }
  return out;
}

/**
 * The state of a namespace's packet: the given mark and conntrack state,
 * its own addresses as `addrtype LOCAL`, and random matches decided by `chance`.
 *
 * @param ns The namespace.
 * @param mark The skb mark so far.
 * @param chance Decides statistic matches (default: every one taken, the first endpoint).
 * @param ctstate The connection's state.
 * @returns The state for {@linkcode walkChain}.
 */
export function stateIn(
  ns: Namespace,
  mark = 0,
  chance: (rule: Rule) => boolean = () => true,
  ctstate: CtState = "NEW",
): PacketState {
  return { mark, ctstate, local: (a) => isLocal(ns, a), chance };
}

/** What the nat table did to a packet. */
export type NatOutcome =
  | { readonly kind: "none" }
  | { readonly kind: "stop"; readonly rule: Rule }
  | { readonly kind: "rewrite"; readonly rule: Rule; readonly ip: IpHeader }
  | { readonly kind: "no-address"; readonly rule: Rule };

/** A nat chain's outcome with the mark it left and the rules that matched on the way. */
export type NatWalk = NatOutcome & { readonly mark: number; readonly matched: readonly Rule[] };

function dnatOf(walk: ChainWalk, ip: IpHeader): NatWalk {
  const { rule, mark, matched } = walk;
  if (rule === undefined) return { kind: "none", mark, matched };
  const t = rule.target;
  if (t.kind !== "DNAT") return { kind: "stop", rule, mark, matched };
  const after = { ...ip, dst: t.to, dport: t.port ?? ip.dport };
  return { kind: "rewrite", rule, ip: after, mark, matched };
}

/**
 * nat PREROUTING: the first matching rule's DNAT rewrites the destination
 * (and port); ACCEPT or RETURN stops the chain.
 *
 * @param ns The namespace.
 * @param ip The arriving packet.
 * @param inDev The interface it arrived on.
 * @param state Mark (0 on arrival), conntrack state and random choices.
 * @returns What happened, the mark after the chain and the rules it passed.
 */
export function natPrerouting(
  ns: Namespace,
  ip: IpHeader,
  inDev: string,
  state: PacketState = stateIn(ns),
): NatWalk {
  return dnatOf(walkChain(ns, "nat", "PREROUTING", ip, { in: inDev }, state), ip);
}

/**
 * The DNAT nat OUTPUT would apply to a packet the namespace itself sends
 * (kube-proxy's `KUBE-SERVICES` for the node's own traffic to a Service).
 *
 * @param ns The namespace.
 * @param ip The packet as the socket sent it.
 * @param outDev The output device of its route.
 * @returns The DNAT rule that would rewrite it, if any.
 */
export function outputDnat(ns: Namespace, ip: IpHeader, outDev: string): Rule | undefined {
  const rule = walkChain(ns, "nat", "OUTPUT", ip, { out: outDev }, stateIn(ns)).rule;
  return rule?.target.kind === "DNAT" ? rule : undefined;
}

/**
 * nat POSTROUTING: MASQUERADE takes the output device's address toward the
 * next hop (`inet_select_addr`), SNAT the given address; ACCEPT or RETURN
 * stops the chain.
 *
 * @param ns The namespace.
 * @param ip The leaving packet.
 * @param out The output route.
 * @param state The mark PREROUTING or OUTPUT left (kube-proxy's `0x4000` asks for masquerade).
 * @returns What happened.
 */
export function natPostrouting(
  ns: Namespace,
  ip: IpHeader,
  out: Route,
  state: PacketState = stateIn(ns),
): NatWalk {
  const { rule, mark, matched } = walkChain(ns, "nat", "POSTROUTING", ip, { out: out.dev }, state);
  if (rule === undefined) return { kind: "none", mark, matched };
  const t = rule.target;
  if (t.kind === "SNAT") return { kind: "rewrite", rule, ip: { ...ip, src: t.to }, mark, matched };
  if (t.kind !== "MASQUERADE") return { kind: "stop", rule, mark, matched };
  const src = selectSource(ns, { ...out, src: undefined });
  if (src === undefined) return { kind: "no-address", rule, mark, matched };
  return { kind: "rewrite", rule, ip: { ...ip, src }, mark, matched };
}

/** What the filter FORWARD chain decided. */
export interface ForwardOutcome {
  readonly verdict: "ACCEPT" | "DROP";
  /** The deciding rule; `undefined` when the policy decided. */
  readonly rule?: Rule;
}

/**
 * The filter FORWARD chain: the first matching ACCEPT or DROP decides;
 * RETURN or no match falls to the policy.
 *
 * @param ns The namespace.
 * @param ip The packet being forwarded.
 * @param ifaces Input and output interfaces.
 * @param state Mark and conntrack state.
 * @returns The verdict and the rule that gave it.
 */
export function filterForward(
  ns: Namespace,
  ip: IpHeader,
  ifaces: Interfaces,
  state: PacketState = stateIn(ns),
): ForwardOutcome {
  return filterChain(ns, "FORWARD", ip, ifaces, state);
}

/**
 * A filter chain: FORWARD (its policy from `-P FORWARD`) or INPUT (policy
 * ACCEPT: the model sets no other); the first matching ACCEPT or DROP decides.
 *
 * @param ns The namespace.
 * @param chain FORWARD or INPUT.
 * @param ip The packet.
 * @param ifaces Input and output interfaces.
 * @param state Mark and conntrack state.
 * @returns The verdict and the rule that gave it.
 */
export function filterChain(
  ns: Namespace,
  chain: "FORWARD" | "INPUT",
  ip: IpHeader,
  ifaces: Interfaces,
  state: PacketState = stateIn(ns),
): ForwardOutcome {
  const rule = walkChain(ns, "filter", chain, ip, ifaces, state).rule;
  const kind = rule?.target.kind;
  const verdict = chainVerdict(kind, chain === "FORWARD" ? ns.netfilter.forwardPolicy : "ACCEPT");
  return rule !== undefined && verdict === kind ? { verdict, rule } : { verdict };
}

/** Which branch random rules take: the first (every random rule matches), an endpoint's, or a seeded draw. */
export type BranchChoice =
  | { readonly kind: "first" }
  | { readonly kind: "endpoint"; readonly addr: Addr }
  | { readonly kind: "seed"; readonly seed: number };

/**
 * The uniform number in [0, 1) a seed draws (mulberry32), so that a seeded
 * probe picks the same branch everywhere.
 *
 * @param seed A 32-bit seed.
 * @returns The draw.
 * @example
 * ```ts
 * import { seededDraw } from "./netfilter.js";
 * seededDraw(1) === seededDraw(1); // true
 * ```
 */
export function seededDraw(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * Picks one of a chain's branches: the first, the one that DNATs to an
 * endpoint (the first if none does), or the one a seeded draw falls in,
 * weighing each by its probability.
 *
 * @param branches From {@linkcode chainBranches}.
 * @param choice What the probe asked for.
 * @returns The branch (undefined only for no branches).
 */
export function pickBranch(
  branches: readonly ChainBranch[],
  choice: BranchChoice,
): ChainBranch | undefined {
  if (choice.kind === "endpoint") {
    return branches.find((b) => {
      const t = b.walk.rule?.target;
      return t?.kind === "DNAT" && t.to === choice.addr;
    }) ?? branches[0];
  }
  if (choice.kind === "first") return branches[0];
  let u = seededDraw(choice.seed);
  for (const b of branches) {
    if (u < b.probability) return b;
    u -= b.probability;
  }
  return branches[branches.length - 1];
}

const random = new WeakMap<readonly Rule[], boolean>();

/**
 * Whether a namespace has random (`statistic`) rules in a table, so that a
 * walk there can branch.
 *
 * @param ns The namespace.
 * @returns True when some rule has a probability strictly between 0 and 1.
 */
export function hasRandomRules(ns: Namespace): boolean {
  let v = random.get(ns.netfilter.rules);
  if (v === undefined) {
    v = ns.netfilter.rules.some((r) =>
      r.match.probability !== undefined && r.match.probability > 0 && r.match.probability < 1
    );
    random.set(ns.netfilter.rules, v);
  }
  return v;
}

const inputRules = new WeakMap<readonly Rule[], boolean>();

/**
 * Whether a namespace has filter INPUT rules (most have none, and their
 * traces show no INPUT step).
 *
 * @param ns The namespace.
 * @returns True when some rule is in filter INPUT.
 */
export function hasInputRules(ns: Namespace): boolean {
  let v = inputRules.get(ns.netfilter.rules);
  if (v === undefined) {
    v = ns.netfilter.rules.some((r) => r.table === "filter" && r.chain === "INPUT");
    inputRules.set(ns.netfilter.rules, v);
  }
  return v;
}
