import { Addr, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import type { Chain, Protocol, Rule, RuleMatch, RuleTarget } from "../model/world.js";
import {
  type Cursor,
  cursorFor,
  isInterfaceName,
  isLineError,
  type LineError,
  type Token,
} from "./tokens.js";

const SYNTAX = "iptables";

/** A policy line, `-P FORWARD DROP`. */
export interface PolicySpec {
  readonly kind: "policy";
  readonly chain: "FORWARD";
  readonly policy: "ACCEPT" | "DROP";
}

/** What one iptables line does: append a rule or set a policy. */
export type IptablesLine = ({ readonly kind: "rule" } & Rule) | PolicySpec;

const CHAINS: Record<"nat" | "filter", readonly Chain[]> = {
  nat: ["PREROUTING", "POSTROUTING"],
  filter: ["FORWARD"],
};

type MutableMatch = { -readonly [K in keyof RuleMatch]?: RuleMatch[K] };

/**
 * Reads one line of iptables arguments, as you would pass them to
 * `iptables`: `[-t nat|filter] -A CHAIN [matches] -j TARGET [options]` or
 * `-P FORWARD ACCEPT|DROP`. The model knows the nat chains PREROUTING and
 * POSTROUTING and the filter chain FORWARD; matches `[!] -s/-d PREFIX`,
 * `[!] -i/-o NAME`, `-p tcp|udp|icmp`, `--sport/--dport N`, `-m tcp|udp|comment`,
 * `--comment TEXT`; targets ACCEPT, DROP, RETURN, MASQUERADE, SNAT
 * `--to-source ADDR`, DNAT `--to-destination ADDR[:PORT]`.
 *
 * @param line The arguments.
 * @returns The rule or policy, or an error naming the token at fault.
 * @example
 * ```ts
 * import { parseIptables } from "./iptables.js";
 * parseIptables("-t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE");
 * parseIptables("-P FORWARD DROP");
 * ```
 */
export function parseIptables(line: string): Result<IptablesLine, LineError> {
  const cursor = cursorFor(SYNTAX, line);
  if (isLineError(cursor)) return err(cursor);
  let table: "nat" | "filter" = "filter";
  if (cursor.peek()?.text === "-t") {
    cursor.next();
    const t = cursor.next();
    if (t?.text !== "nat" && t?.text !== "filter") {
      return err(cursor.fail(t, "Table must be nat or filter (the tables podnet models)"));
    }
    table = t.text;
  }
  const command = cursor.next();
  if (command?.text === "-P") return readPolicy(cursor, table);
  if (command?.text !== "-A") {
    return err(cursor.fail(command, "Expected -A CHAIN or -P CHAIN POLICY"));
  }
  const chainToken = cursor.next();
  const chain = CHAINS[table].find((c) => c === chainToken?.text);
  if (chain === undefined) {
    return err(
      cursor.fail(chainToken, `Chain must be ${CHAINS[table].join(" or ")} in table ${table}`),
    );
  }
  return readRule(cursor, table, chain);
}

function readPolicy(cursor: Cursor, table: "nat" | "filter"): Result<PolicySpec, LineError> {
  const chain = cursor.next();
  if (table !== "filter" || chain?.text !== "FORWARD") {
    return err(cursor.fail(chain, "Only the filter FORWARD policy is modelled"));
  }
  const policy = cursor.next();
  if (policy?.text !== "ACCEPT" && policy?.text !== "DROP") {
    return err(cursor.fail(policy, "Policy must be ACCEPT or DROP"));
  }
  if (!cursor.done) return err(cursor.fail(cursor.next(), "Unexpected word after the policy"));
  return ok({ kind: "policy", chain: "FORWARD", policy: policy.text });
}

function readRule(
  cursor: Cursor,
  table: "nat" | "filter",
  chain: Chain,
): Result<IptablesLine, LineError> {
  const match: MutableMatch = {};
  let target: RuleTarget | undefined;
  let negate: Token | undefined;
  while (!cursor.done) {
    const key = cursor.next()!;
    if (key.text === "!") {
      negate = key;
      continue;
    }
    if (key.text === "-j") {
      const t = readTarget(cursor, table, chain);
      if (!t.ok) return t;
      target = t.value;
      continue;
    }
    const problem = readMatch(cursor, key, negate !== undefined, match, chain);
    if (problem) return err(problem);
    negate = undefined;
  }
  if (negate) return err(cursor.fail(negate, '"!" must come before -s, -d, -i or -o'));
  if (target === undefined) return err(cursor.fail(undefined, '"-j TARGET" is missing'));
  if (
    (match.dport !== undefined || match.sport !== undefined) && match.proto !== "tcp" &&
    match.proto !== "udp"
  ) {
    return err(
      cursor.fail(
        cursor.tokens.find((t) => t.text.endsWith("port")),
        "Ports need -p tcp or -p udp",
      ),
    );
  }
  const rule: Rule = { table, chain, match, target, text: formatRule({ chain, match, target }) };
  return ok({ kind: "rule", ...rule });
}

function readMatch(
  cursor: Cursor,
  key: Token,
  negate: boolean,
  match: MutableMatch,
  chain: Chain,
): LineError | undefined {
  const v = cursor.next();
  if (v === undefined) {
    return cursor.fail(key, `Value is missing after "${key.text}" (the line ends there)`);
  }
  switch (key.text) {
    case "-s":
    case "--source":
    case "-d":
    case "--destination": {
      const p = readPrefix(v.text);
      if (!p) return cursor.fail(v, "Not an IPv4 address or prefix");
      match[key.text.startsWith("-s") || key.text === "--source" ? "src" : "dst"] = {
        prefix: p,
        negate,
      };
      return undefined;
    }
    case "-i":
    case "-o": {
      if (key.text === "-i" && chain === "POSTROUTING") {
        return cursor.fail(key, "Can't use -i with POSTROUTING");
      }
      if (key.text === "-o" && chain === "PREROUTING") {
        return cursor.fail(key, "Can't use -o with PREROUTING");
      }
      if (!isInterfaceName(v.text.replace(/\+$/, "x"))) {
        return cursor.fail(v, "Not a valid interface name");
      }
      match[key.text === "-i" ? "inIface" : "outIface"] = { name: v.text, negate };
      return undefined;
    }
    case "-p":
      if (v.text !== "tcp" && v.text !== "udp" && v.text !== "icmp") {
        return cursor.fail(v, "Protocol must be tcp, udp or icmp");
      }
      match.proto = v.text as Protocol;
      break;
    case "--dport":
    case "--sport": {
      const port = readPort(v.text);
      if (port === undefined) return cursor.fail(v, "Port must be a whole number from 1 to 65535");
      match[key.text === "--dport" ? "dport" : "sport"] = port;
      break;
    }
    case "-m":
      if (!["tcp", "udp", "comment", "icmp"].includes(v.text)) {
        return cursor.fail(v, "Match module must be tcp, udp, icmp or comment");
      }
      break;
    case "--comment":
      break;
    default:
      return cursor.fail(key, "Unknown option");
  }
  return negate ? cursor.fail(key, `"!" cannot negate ${key.text}`) : undefined;
}

function readTarget(
  cursor: Cursor,
  table: "nat" | "filter",
  chain: Chain,
): Result<RuleTarget, LineError> {
  const t = cursor.next();
  const name = t?.text;
  const natOnly = (want: Chain) =>
    table !== "nat" || chain !== want
      ? err(cursor.fail(t, `${name} is valid only in the nat table, chain ${want}`))
      : undefined;
  switch (name) {
    case "ACCEPT":
    case "RETURN":
      return ok({ kind: name });
    case "DROP":
      return table === "filter"
        ? ok({ kind: "DROP" })
        : err(cursor.fail(t, "DROP is not allowed in the nat table"));
    case "MASQUERADE": {
      const wrong = natOnly("POSTROUTING");
      if (wrong) return wrong;
      while (cursor.peek()?.text === "--random-fully" || cursor.peek()?.text === "--random") {
        cursor.next();
      }
      return ok({ kind: "MASQUERADE" });
    }
    case "SNAT": {
      const wrong = natOnly("POSTROUTING");
      if (wrong) return wrong;
      return readNatAddress(cursor, "--to-source", (to) => ({ kind: "SNAT", to }));
    }
    case "DNAT": {
      const wrong = natOnly("PREROUTING");
      if (wrong) return wrong;
      return readNatAddress(cursor, "--to-destination", (to, port) => ({ kind: "DNAT", to, port }));
    }
    default:
      return err(cursor.fail(t, "Target must be ACCEPT, DROP, RETURN, MASQUERADE, SNAT or DNAT"));
  }
}

function readNatAddress(
  cursor: Cursor,
  option: string,
  build: (to: Addr, port?: number) => RuleTarget,
): Result<RuleTarget, LineError> {
  const key = cursor.next();
  if (key?.text !== option) return err(cursor.fail(key, `Expected ${option}`));
  const v = cursor.next();
  if (v === undefined) return err(cursor.fail(undefined, `Address is missing after ${option}`));
  const [addrText, portText, ...rest] = v.text.split(":");
  const addr = Addr.parse(addrText);
  if (!addr.ok || rest.length > 0) return err(cursor.fail(v, "Expected ADDR or ADDR:PORT"));
  if (portText === undefined) return ok(build(addr.value));
  const port = readPort(portText);
  if (port === undefined || option !== "--to-destination") {
    return err(cursor.fail(v, "Port must be a whole number from 1 to 65535 (DNAT only)"));
  }
  return ok(build(addr.value, port));
}

function readPrefix(text: string): Prefix | undefined {
  const p = Prefix.parse(text.includes("/") ? text : `${text}/32`);
  return p.ok ? p.value.masked() : undefined;
}

function readPort(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/**
 * Prints a rule as `iptables -S` does.
 *
 * @param rule The chain, matches and target.
 * @returns e.g. `-A POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE`.
 */
export function formatRule(rule: Pick<Rule, "chain" | "match" | "target">): string {
  const m = rule.match;
  const words = ["-A", rule.chain];
  const neg = (x: { negate: boolean }) => (x.negate ? ["!"] : []);
  if (m.src) words.push(...neg(m.src), "-s", m.src.prefix.toString());
  if (m.dst) words.push(...neg(m.dst), "-d", m.dst.prefix.toString());
  if (m.inIface) words.push(...neg(m.inIface), "-i", m.inIface.name);
  if (m.outIface) words.push(...neg(m.outIface), "-o", m.outIface.name);
  if (m.proto) words.push("-p", m.proto);
  if (m.proto && (m.sport !== undefined || m.dport !== undefined)) words.push("-m", m.proto);
  if (m.sport !== undefined) words.push("--sport", String(m.sport));
  if (m.dport !== undefined) words.push("--dport", String(m.dport));
  words.push("-j", rule.target.kind);
  const t = rule.target;
  if (t.kind === "SNAT") words.push("--to-source", t.to.toString());
  if (t.kind === "DNAT") {
    words.push("--to-destination", t.port ? `${t.to}:${t.port}` : t.to.toString());
  }
  return words.join(" ");
}
