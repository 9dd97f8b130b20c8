import { Addr, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";
import type {
  BuiltinChain,
  Chain,
  CtState,
  Protocol,
  Rule,
  RuleMatch,
  RuleTarget,
} from "../model/world.js";
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

/** A new user-defined chain, `-t nat -N KUBE-SERVICES`. */
export interface ChainSpec {
  readonly kind: "chain";
  readonly table: "nat" | "filter";
  readonly chain: string;
}

/** What one iptables line does: append a rule, set a policy or create a chain. */
export type IptablesLine = ({ readonly kind: "rule" } & Rule) | PolicySpec | ChainSpec;

/** The built-in chains of each table the model evaluates. */
export const BUILTIN_CHAINS: Record<"nat" | "filter", readonly BuiltinChain[]> = {
  nat: ["PREROUTING", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD"],
};

const ALL_BUILTIN: readonly string[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];
const TARGETS = ["ACCEPT", "DROP", "RETURN", "MASQUERADE", "SNAT", "DNAT", "MARK", "REJECT", "LOG"];

/**
 * Whether a name can be a user-defined chain: 1-28 letters, digits, `_`,
 * `.` or `-`, not starting with `-`, not a built-in chain or a target.
 *
 * @param name The name.
 * @returns Whether iptables would accept it for `-N`.
 * @example
 * ```ts
 * import { isUserChainName } from "./iptables.js";
 * isUserChainName("KUBE-SVC-TCOU7JCQXEZGVUNU"); // true
 * isUserChainName("FORWARD"); // false
 * ```
 */
export function isUserChainName(name: string): boolean {
  return /^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,27}$/.test(name) && !ALL_BUILTIN.includes(name) &&
    !TARGETS.includes(name);
}

const CT_STATES: readonly CtState[] = ["NEW", "ESTABLISHED", "RELATED", "INVALID", "DNAT", "SNAT"];

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
  if (command?.text === "-N") {
    const name = cursor.next();
    if (name === undefined || !isUserChainName(name.text)) {
      return err(cursor.fail(name, "Not a valid user chain name (1-28 letters, digits, _ . -)"));
    }
    if (!cursor.done) return err(cursor.fail(cursor.next(), "Unexpected word after the chain"));
    return ok({ kind: "chain", table, chain: name.text });
  }
  if (command?.text !== "-A") {
    return err(cursor.fail(command, "Expected -A CHAIN, -N CHAIN or -P CHAIN POLICY"));
  }
  const chainToken = cursor.next();
  const text = chainToken?.text ?? "";
  const chain = BUILTIN_CHAINS[table].find((c) => c === text) ??
    (isUserChainName(text) ? text : undefined);
  if (chain === undefined) {
    return err(
      cursor.fail(
        chainToken,
        `Chain must be ${BUILTIN_CHAINS[table].join(", ")} or a user chain in table ${table}`,
      ),
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
  if (negate) return err(cursor.fail(negate, '"!" must come before an option it can negate'));
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
  // iptables refuses "--to-destination ADDR:PORT" without a protocol that has ports.
  if (
    target.kind === "DNAT" && target.port !== undefined && match.proto !== "tcp" &&
    match.proto !== "udp"
  ) {
    return err(
      cursor.fail(
        cursor.tokens[cursor.tokens.findIndex((t) => t.text === "--to-destination") + 1],
        "A port in --to-destination needs -p tcp or -p udp",
      ),
    );
  }
  const rule: Rule = { table, chain, match, target, text: formatRule({ chain, match, target }) };
  return ok({ kind: "rule", ...rule });
}

const NEGATABLE = [
  "-s",
  "--source",
  "-d",
  "--destination",
  "-i",
  "-o",
  "--mark",
  "--dst-type",
  "--src-type",
];

function readMatch(
  cursor: Cursor,
  key: Token,
  negate: boolean,
  match: MutableMatch,
  chain: Chain,
): LineError | undefined {
  if (negate && !NEGATABLE.includes(key.text) && key.text !== "--ctstate") {
    return cursor.fail(key, `"!" cannot negate ${key.text}`);
  }
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
      if (key.text === "-i" && (chain === "POSTROUTING" || chain === "OUTPUT")) {
        return cursor.fail(key, `Can't use -i with ${chain}`);
      }
      if (key.text === "-o" && (chain === "PREROUTING" || chain === "INPUT")) {
        return cursor.fail(key, `Can't use -o with ${chain}`);
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
      return undefined;
    case "--dport":
    case "--sport": {
      const port = readPort(v.text);
      if (port === undefined) return cursor.fail(v, "Port must be a whole number from 1 to 65535");
      match[key.text === "--dport" ? "dport" : "sport"] = port;
      return undefined;
    }
    case "-m":
      if (!MODULES.includes(v.text)) {
        return cursor.fail(v, `Match module must be ${MODULES.join(", ")}`);
      }
      return undefined;
    case "--comment":
      match.comment = v.text;
      return undefined;
    case "--mark": {
      const m = readMark(v.text);
      if (m === undefined) return cursor.fail(v, "Mark must be VALUE or VALUE/MASK (32-bit)");
      match.mark = { ...m, negate };
      return undefined;
    }
    case "--mode":
      return v.text === "random" ? undefined : cursor.fail(v, "Only --mode random is modelled");
    case "--probability": {
      const p = /^(0(\.[0-9]+)?|1(\.0+)?)$/.test(v.text) ? Number(v.text) : NaN;
      if (!(p >= 0 && p <= 1)) return cursor.fail(v, "Probability must be from 0 to 1");
      match.probability = quantizeProbability(p);
      return undefined;
    }
    case "--dst-type":
      if (v.text !== "LOCAL") return cursor.fail(v, "Only --dst-type LOCAL is modelled");
      match.dstLocal = { negate };
      return undefined;
    case "--src-type":
      if (v.text !== "LOCAL") return cursor.fail(v, "Only --src-type LOCAL is modelled");
      match.srcLocal = { negate };
      return undefined;
    case "--ctstate": {
      const states = v.text.split(",");
      const bad = states.find((x) => !CT_STATES.includes(x as CtState));
      if (bad !== undefined) return cursor.fail(v, `Unknown conntrack state ${bad}`);
      match.ctstate = { states: states as CtState[], negate };
      return undefined;
    }
    default:
      return cursor.fail(key, "Unknown option");
  }
}

const MODULES = ["tcp", "udp", "icmp", "comment", "mark", "statistic", "addrtype", "conntrack"];

/**
 * The probability the kernel's statistic match really uses: iptables
 * stores `round(p * 2^31)` and matches when a random 31-bit number is below it.
 *
 * @param p The probability as written.
 * @returns The probability the kernel applies.
 * @example
 * ```ts
 * import { quantizeProbability } from "./iptables.js";
 * quantizeProbability(1 / 3).toFixed(11); // "0.33333333349"
 * ```
 */
export function quantizeProbability(p: number): number {
  return Math.round(p * 0x80000000) / 0x80000000;
}

function readMark(text: string): { value: number; mask: number } | undefined {
  const [v, m, ...rest] = text.split("/");
  const num = (x: string) =>
    /^(0x[0-9a-fA-F]{1,8}|[0-9]{1,10})$/.test(x) && Number(x) <= 0xffffffff ? Number(x) : undefined;
  const value = num(v);
  const mask = m === undefined ? 0xffffffff : num(m);
  return value === undefined || mask === undefined || rest.length > 0 ? undefined : { value, mask };
}

function readTarget(
  cursor: Cursor,
  table: "nat" | "filter",
  chain: Chain,
): Result<RuleTarget, LineError> {
  const t = cursor.next();
  const name = t?.text;
  const user = !ALL_BUILTIN.includes(chain);
  const natOnly = (...want: Chain[]) =>
    table !== "nat" || !(user || want.includes(chain))
      ? err(cursor.fail(t, `${name} is valid only in the nat table, chain ${want.join(" or ")}`))
      : undefined;
  switch (name) {
    case "ACCEPT":
    case "RETURN":
      return ok({ kind: name });
    case "DROP":
      return table === "filter"
        ? ok({ kind: name })
        : err(cursor.fail(t, `${name} is not allowed in the nat table`));
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
      const wrong = natOnly("PREROUTING", "OUTPUT");
      if (wrong) return wrong;
      return readNatAddress(cursor, "--to-destination", (to, port) => ({ kind: "DNAT", to, port }));
    }
    case "MARK": {
      const opt = cursor.next();
      const v = cursor.next();
      const m = v === undefined ? undefined : readMark(v.text);
      if (
        m === undefined ||
        !["--set-xmark", "--or-mark", "--set-mark", "--xor-mark"].includes(opt?.text ?? "")
      ) {
        return err(
          cursor.fail(
            v ?? opt,
            "Expected --set-xmark V/M, --set-mark V, --or-mark V or --xor-mark V",
          ),
        );
      }
      // --or-mark V is --set-xmark V/V, --xor-mark V is V/0; --set-mark V/M is V/(M|V).
      const mask = opt!.text === "--or-mark"
        ? m.value
        : opt!.text === "--xor-mark"
        ? 0
        : opt!.text === "--set-mark"
        ? (m.mask | m.value) >>> 0
        : m.mask;
      return ok({ kind: "MARK", value: m.value, mask });
    }
    default:
      if (name !== undefined && isUserChainName(name) && name !== chain) {
        return ok({ kind: "JUMP", chain: name });
      }
      return err(
        cursor.fail(
          t,
          "Target must be ACCEPT, DROP, RETURN, MASQUERADE, SNAT, DNAT, MARK or another user chain",
        ),
      );
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

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * Prints a rule as `iptables -S` does.
 *
 * @param rule The chain, matches and target.
 * @returns e.g. `-A POSTROUTING -s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE`.
 * @example
 * ```ts
 * import { formatRule, parseIptables } from "./iptables.js";
 * const r = parseIptables("-t nat -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000");
 * if (r.ok && r.value.kind === "rule") formatRule(r.value); // "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"
 * ```
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
  if (m.comment !== undefined) {
    words.push(
      "-m",
      "comment",
      "--comment",
      /[\s]|^$/.test(m.comment) ? `"${m.comment}"` : m.comment,
    );
  }
  if (m.mark) {
    const mask = m.mark.mask === 0xffffffff ? "" : `/${hex(m.mark.mask)}`;
    words.push("-m", "mark", ...neg(m.mark), "--mark", `${hex(m.mark.value)}${mask}`);
  }
  if (m.proto && (m.sport !== undefined || m.dport !== undefined)) words.push("-m", m.proto);
  if (m.sport !== undefined) words.push("--sport", String(m.sport));
  if (m.dport !== undefined) words.push("--dport", String(m.dport));
  if (m.probability !== undefined) {
    words.push("-m", "statistic", "--mode", "random", "--probability", m.probability.toFixed(11));
  }
  if (m.srcLocal) words.push("-m", "addrtype", ...neg(m.srcLocal), "--src-type", "LOCAL");
  if (m.dstLocal) words.push("-m", "addrtype", ...neg(m.dstLocal), "--dst-type", "LOCAL");
  if (m.ctstate) {
    words.push("-m", "conntrack", ...neg(m.ctstate), "--ctstate", m.ctstate.states.join(","));
  }
  const t = rule.target;
  words.push("-j", t.kind === "JUMP" ? t.chain : t.kind);
  if (t.kind === "SNAT") words.push("--to-source", t.to.toString());
  if (t.kind === "DNAT") {
    words.push("--to-destination", t.port ? `${t.to}:${t.port}` : t.to.toString());
  }
  if (t.kind === "MARK") words.push("--set-xmark", `${hex(t.value)}/${hex(t.mask)}`);
  return words.join(" ");
}

/**
 * The user chains a sequence of iptables lines has created, as iptables
 * keeps them: `-N` creates one (twice is refused), `-A CHAIN` and `-j CHAIN`
 * need it to exist already, and a jump may not close a loop.
 */
export class ChainSet {
  readonly #declared = new Set<string>();
  readonly #jumps = new Map<string, Set<string>>();

  /**
   * The user chains of existing rules, as if each had been created.
   *
   * @param rules Rules already in a namespace.
   * @returns The set.
   */
  static of(rules: readonly Rule[]): ChainSet {
    const set = new ChainSet();
    for (const r of rules) {
      if (!ALL_BUILTIN.includes(r.chain)) set.#declared.add(`${r.table} ${r.chain}`);
      if (r.target.kind === "JUMP") set.#declared.add(`${r.table} ${r.target.chain}`);
    }
    for (const r of rules) set.#edge(r);
    return set;
  }

  #edge(r: Rule) {
    if (r.target.kind !== "JUMP") return;
    const from = `${r.table} ${r.chain}`;
    const to = this.#jumps.get(from) ?? new Set();
    to.add(`${r.table} ${r.target.chain}`);
    this.#jumps.set(from, to);
  }

  #reaches(from: string, to: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x === to) return true;
      if (seen.has(x)) continue;
      seen.add(x);
      for (const y of this.#jumps.get(x) ?? []) stack.push(y);
    }
    return false;
  }

  /**
   * Takes one parsed line; refuses what iptables refuses about chains.
   *
   * @param v The parsed line.
   * @param line The line's text (for the error).
   * @returns An error naming the chain, or undefined when taken.
   * @example
   * ```ts
   * import { ChainSet, parseIptables } from "./iptables.js";
   * const chains = new ChainSet();
   * const a = parseIptables("-t nat -A KUBE-SERVICES -j RETURN");
   * if (a.ok) chains.accept(a.value, "-t nat -A KUBE-SERVICES -j RETURN")?.message; // "Chain KUBE-SERVICES does not exist (create it with -N first)"
   * ```
   */
  accept(v: IptablesLine, line: string): LineError | undefined {
    if (v.kind === "policy") return undefined;
    const fail = (name: string, message: string): LineError => {
      const at = Math.max(0, line.indexOf(name));
      return { kind: "line", syntax: SYNTAX, line, token: name, at, message };
    };
    if (v.kind === "chain") {
      const key = `${v.table} ${v.chain}`;
      if (this.#declared.has(key)) return fail(v.chain, `Chain ${v.chain} already exists`);
      this.#declared.add(key);
      return undefined;
    }
    const missing = (name: string) =>
      !ALL_BUILTIN.includes(name) && !this.#declared.has(`${v.table} ${name}`);
    if (missing(v.chain)) {
      return fail(v.chain, `Chain ${v.chain} does not exist (create it with -N first)`);
    }
    if (v.target.kind === "JUMP") {
      const to = v.target.chain;
      if (missing(to)) return fail(to, `Chain ${to} does not exist (create it with -N first)`);
      if (this.#reaches(`${v.table} ${to}`, `${v.table} ${v.chain}`)) {
        return fail(to, `Jumping to ${to} would make a loop`);
      }
    }
    this.#edge(v);
    return undefined;
  }
}

/**
 * The `-N` lines that create the user chains rules use, in first-use order.
 *
 * @param rules The rules.
 * @returns e.g. `["-t nat -N KUBE-SERVICES"]`.
 */
export function chainLines(rules: readonly Rule[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (table: string, chain: string) => {
    const k = `${table} ${chain}`;
    if (ALL_BUILTIN.includes(chain) || seen.has(k)) return;
    seen.add(k);
    out.push(`${table === "nat" ? "-t nat " : ""}-N ${chain}`);
  };
  for (const r of rules) {
    add(r.table, r.chain);
    if (r.target.kind === "JUMP") add(r.table, r.target.chain);
  }
  return out;
}
