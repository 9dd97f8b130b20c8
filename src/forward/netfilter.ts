/**
 * The netfilter model: nat PREROUTING (DNAT), nat POSTROUTING (MASQUERADE,
 * SNAT) and the filter FORWARD chain with its policy. Rules are tried in
 * order; the first that matches decides, as in iptables. Every packet a
 * trace follows is the first of its connection, so NAT rules apply to it.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import type { IpHeader } from "../model/packet.js";
import type { Namespace, Rule, RuleMatch } from "../model/world.js";
import { selectSource } from "./fib.js";
import { chainVerdict, ifaceMatches } from "./rules.js";
import type { Route } from "../model/world.js";

/** Interfaces a rule can match on. */
export interface Interfaces {
  readonly in?: string;
  readonly out?: string;
}

function addrMatches(pattern: RuleMatch["src"], actual: Addr) {
  return pattern === undefined || pattern.prefix.contains(actual) !== pattern.negate;
}

/**
 * Whether a rule's matches hold for a packet.
 *
 * @param m The rule's matches.
 * @param ip The packet's header.
 * @param ifaces The input and output interfaces where known.
 * @returns True when every match holds.
 */
export function ruleMatches(m: RuleMatch, ip: IpHeader, ifaces: Interfaces): boolean {
  return addrMatches(m.src, ip.src) && addrMatches(m.dst, ip.dst) &&
    ifaceMatches(m.inIface, ifaces.in) && ifaceMatches(m.outIface, ifaces.out) &&
    (m.proto === undefined || m.proto === ip.proto) &&
    (m.sport === undefined || m.sport === ip.sport) &&
    (m.dport === undefined || m.dport === ip.dport);
}

function firstMatch(
  ns: Namespace,
  table: Rule["table"],
  chain: Rule["chain"],
  ip: IpHeader,
  ifaces: Interfaces,
) {
  return ns.netfilter.rules.find((r) =>
    r.table === table && r.chain === chain && ruleMatches(r.match, ip, ifaces)
  );
}

/** What the nat table did to a packet. */
export type NatOutcome =
  | { readonly kind: "none" }
  | { readonly kind: "stop"; readonly rule: Rule }
  | { readonly kind: "rewrite"; readonly rule: Rule; readonly ip: IpHeader }
  | { readonly kind: "no-address"; readonly rule: Rule };

/**
 * nat PREROUTING: the first matching rule's DNAT rewrites the destination
 * (and port); ACCEPT or RETURN stops the chain.
 *
 * @param ns The namespace.
 * @param ip The arriving packet.
 * @param inDev The interface it arrived on.
 * @returns What happened.
 */
export function natPrerouting(ns: Namespace, ip: IpHeader, inDev: string): NatOutcome {
  const rule = firstMatch(ns, "nat", "PREROUTING", ip, { in: inDev });
  if (rule === undefined) return { kind: "none" };
  const t = rule.target;
  if (t.kind !== "DNAT") return { kind: "stop", rule };
  return { kind: "rewrite", rule, ip: { ...ip, dst: t.to, dport: t.port ?? ip.dport } };
}

/**
 * nat POSTROUTING: MASQUERADE takes the output device's address toward the
 * next hop (`inet_select_addr`), SNAT the given address; ACCEPT or RETURN
 * stops the chain.
 *
 * @param ns The namespace.
 * @param ip The leaving packet.
 * @param out The output route.
 * @returns What happened.
 */
export function natPostrouting(ns: Namespace, ip: IpHeader, out: Route): NatOutcome {
  const rule = firstMatch(ns, "nat", "POSTROUTING", ip, { out: out.dev });
  if (rule === undefined) return { kind: "none" };
  const t = rule.target;
  if (t.kind === "SNAT") return { kind: "rewrite", rule, ip: { ...ip, src: t.to } };
  if (t.kind !== "MASQUERADE") return { kind: "stop", rule };
  const src = selectSource(ns, { ...out, src: undefined });
  if (src === undefined) return { kind: "no-address", rule };
  return { kind: "rewrite", rule, ip: { ...ip, src } };
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
 * @returns The verdict and the rule that gave it.
 */
export function filterForward(ns: Namespace, ip: IpHeader, ifaces: Interfaces): ForwardOutcome {
  const rule = firstMatch(ns, "filter", "FORWARD", ip, ifaces);
  const verdict = chainVerdict(rule?.target.kind, ns.netfilter.forwardPolicy);
  return rule !== undefined && verdict === rule.target.kind ? { verdict, rule } : { verdict };
}
