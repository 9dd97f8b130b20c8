/**
 * `iptables-save` text as the model sees it: the rules it evaluates (nat
 * PREROUTING, OUTPUT and POSTROUTING, filter FORWARD and INPUT, the FORWARD
 * policy, and user chains such as kube-proxy's `KUBE-SERVICES` whose every
 * rule the model reads) become scenario lines; everything else a packet
 * passes (another table, a jump to a chain with a match the model lacks, a
 * DROP policy on INPUT or OUTPUT) becomes an unmodelled entry at its hook,
 * so a trace that passes the hook stops and names it.
 *
 * @module
 */
import type { NetfilterHook } from "../model/world.js";
import type { UnmodelledDoc } from "../scenario/schema.js";
import { BUILTIN_CHAINS, ChainSet, isUserChainName, parseIptables } from "../syntax/iptables.js";
import type { Rule } from "../model/world.js";

/** The model's view of one namespace's iptables-save output. */
export interface NetfilterImport {
  /** Scenario `iptables` lines, in order. */
  readonly lines: string[];
  readonly unmodelled: UnmodelledDoc[];
}

const HOOKS: readonly string[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];
const MODELLED: Readonly<Record<string, readonly string[]>> = BUILTIN_CHAINS;
/** The chains each table has built in (their policies decide packets). */
const BUILTIN: Readonly<Record<string, readonly string[]>> = {
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
  mangle: HOOKS,
  raw: ["PREROUTING", "OUTPUT"],
  security: ["INPUT", "FORWARD", "OUTPUT"],
};

/** Words of a saved rule: iptables-save quotes with `"` and escapes `"` and `\` inside. */
function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    if (line[i] === " ") {
      i++;
      continue;
    }
    let w = "";
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "\\" && i + 1 < line.length) i++;
        w += line[i++];
      }
      i++;
    } else {
      while (i < line.length && line[i] !== " ") w += line[i++];
    }
    out.push(w);
  }
  return out;
}

/**
 * Reads `iptables-save` output.
 *
 * @param text What iptables-save printed.
 * @param variant Which save command printed it (named in entries).
 * @returns Scenario lines and unmodelled entries.
 * @example
 * ```ts
 * import { importIptables } from "./iptables.js";
 * const r = importIptables("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE\n-A POSTROUTING -j KUBE-POSTROUTING\nCOMMIT\n", "iptables-save");
 * r.lines; // ["-t nat -A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE"]
 * r.unmodelled.length; // 1
 * ```
 */
export function importIptables(text: string, variant: string): NetfilterImport {
  const lines: string[] = [];
  const unmodelled: UnmodelledDoc[] = [];
  const meet = (hook: string, what: string, said: string) => {
    const shown = said.length > 300 ? `${said.slice(0, 297)}...` : said;
    unmodelled.push({ kind: "netfilter", what, text: shown, hook: hook as NetfilterHook });
  };
  const saved = readSave(text);
  // A user chain is modelled when every rule in it is, and every chain it
  // jumps to is (a fixpoint: taint flows from a chain to those jumping to it).
  const tainted = new Set<string>();
  for (const r of saved.rules) {
    if (saved.declared.has(`${r.table} ${r.chain}`) && r.parsed === undefined) {
      tainted.add(`${r.table} ${r.chain}`);
    }
  }
  const jumpsTo = (r: SavedRule) =>
    r.parsed?.target.kind === "JUMP" ? `${r.table} ${r.parsed.target.chain}` : undefined;
  for (let changed = true; changed;) {
    changed = false;
    for (const r of saved.rules) {
      const to = jumpsTo(r);
      const from = `${r.table} ${r.chain}`;
      if (
        to !== undefined && saved.declared.has(from) && !tainted.has(from) &&
        (tainted.has(to) || !saved.declared.has(to))
      ) {
        tainted.add(from);
        changed = true;
      }
    }
  }
  for (const [table, chain, policy] of saved.policies) {
    if (table === "filter" && chain === "FORWARD" && policy === "DROP") {
      lines.push("-P FORWARD DROP");
    } else {
      meet(
        chain,
        `the ${table} ${chain} policy ${policy}`,
        `${variant} -t ${table} -P ${chain} ${policy}`,
      );
    }
  }
  const usable = (k: string) => saved.declared.has(k) && !tainted.has(k);
  const chains = new ChainSet();
  for (const k of saved.declared) {
    if (!usable(k)) continue;
    const [table, chain] = k.split(" ");
    const line = `${table === "filter" ? "" : `-t ${table} `}-N ${chain}`;
    chains.accept({ kind: "chain", table: table as Rule["table"], chain }, line);
    lines.push(line);
  }
  for (const r of saved.rules) {
    const from = `${r.table} ${r.chain}`;
    const to = jumpsTo(r);
    const builtin = (MODELLED[r.table] ?? []).includes(r.chain);
    // iptables refuses a jump loop; a saved one (hand-edited text) stays unmodelled.
    const ok = r.parsed !== undefined && (builtin || usable(from)) &&
      (to === undefined || usable(to)) &&
      chains.accept({ kind: "rule", ...r.parsed }, r.line) === undefined;
    if (ok) lines.push(r.line);
    else if (HOOKS.includes(r.chain) && (BUILTIN[r.table] ?? []).includes(r.chain)) {
      const target = r.words[r.words.indexOf("-j") + 1] ?? r.words[r.words.indexOf("-g") + 1];
      const what = target && r.words.includes("-j")
        ? `iptables ${r.table} ${r.chain} -j ${target}`
        : `iptables ${r.table} ${r.chain} rule`;
      meet(r.chain, what, `${variant} -t ${r.table} ${r.raw}`);
    }
    // A rule in an unmodelled user chain is met only through a jump, itself an entry above.
  }
  return { lines, unmodelled };
}

interface SavedRule {
  readonly table: string;
  readonly chain: string;
  /** The scenario line (`-t nat -A ...`). */
  readonly line: string;
  readonly raw: string;
  readonly words: readonly string[];
  /** The rule when the model reads it; undefined when it does not. */
  readonly parsed?: Rule;
}

/** The tables, chain declarations, policies and rules of iptables-save text. */
function readSave(text: string) {
  const declared = new Set<string>();
  const policies: [string, string, string][] = [];
  const rules: SavedRule[] = [];
  let table = "";
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line === "COMMIT") continue;
    if (line.startsWith("*")) {
      table = line.slice(1);
      continue;
    }
    if (line.startsWith(":")) {
      const [chain, policy] = line.slice(1).split(" ");
      if (policy === "-" && isUserChainName(chain)) declared.add(`${table} ${chain}`);
      else if ((BUILTIN[table] ?? []).includes(chain) && policy !== "ACCEPT") {
        policies.push([table, chain, policy]);
      }
      continue;
    }
    const w = words(line);
    if (w[0] !== "-A" || w.length < 2) continue;
    const scenarioLine = `${table === "filter" ? "" : `-t ${table} `}${w.map(quoted).join(" ")}`;
    const p = (table === "nat" || table === "filter") && !w.some((x) => x.includes('"'))
      ? parseIptables(scenarioLine)
      : undefined;
    const parsed = p?.ok && p.value.kind === "rule" ? p.value : undefined;
    rules.push({ table, chain: w[1], line: scenarioLine, raw: line, words: w, parsed });
  }
  return { declared, policies, rules };
}

/** A word as a scenario line holds it: quoted when it has spaces (comments). */
function quoted(w: string): string {
  return /\s/.test(w) || w === "" ? `"${w}"` : w;
}
