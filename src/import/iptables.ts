/**
 * `iptables-save` text as the model sees it: the rules it evaluates (nat
 * PREROUTING and POSTROUTING, filter FORWARD and its policy) become
 * scenario lines; everything else a packet passes (another table, a jump
 * to a user chain such as `KUBE-SERVICES`, a match the model lacks, a DROP
 * policy on INPUT or OUTPUT) becomes an unmodelled entry at its hook, so a
 * trace that passes the hook stops and names it.
 *
 * @module
 */
import type { NetfilterHook } from "../model/world.js";
import type { UnmodelledDoc } from "../scenario/schema.js";
import { parseIptables } from "../syntax/iptables.js";

/** The model's view of one namespace's iptables-save output. */
export interface NetfilterImport {
  /** Scenario `iptables` lines, in order. */
  readonly lines: string[];
  readonly unmodelled: UnmodelledDoc[];
}

const HOOKS: readonly string[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];
const MODELLED: Readonly<Record<string, readonly string[]>> = {
  nat: ["PREROUTING", "POSTROUTING"],
  filter: ["FORWARD"],
};
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
  let table = "";
  const meet = (hook: string, what: string, said: string) => {
    const shown = said.length > 300 ? `${said.slice(0, 297)}...` : said;
    unmodelled.push({ kind: "netfilter", what, text: shown, hook: hook as NetfilterHook });
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line === "COMMIT") continue;
    if (line.startsWith("*")) {
      table = line.slice(1);
      continue;
    }
    const tableWords = `${variant} -t ${table}`;
    if (line.startsWith(":")) {
      const [chain, policy] = line.slice(1).split(" ");
      if (!(BUILTIN[table] ?? []).includes(chain) || policy === "ACCEPT") continue;
      if (table === "filter" && chain === "FORWARD" && policy === "DROP") {
        lines.push("-P FORWARD DROP");
      } else {
        meet(
          chain,
          `the ${table} ${chain} policy ${policy}`,
          `${tableWords} -P ${chain} ${policy}`,
        );
      }
      continue;
    }
    const w = words(line);
    if (w[0] !== "-A" || w.length < 2) continue;
    const chain = w[1];
    // Comments do not change what a rule matches; the model's lines carry none.
    const kept: string[] = [];
    for (let i = 0; i < w.length; i++) {
      if (w[i] === "-m" && w[i + 1] === "comment") i++;
      else if (w[i] === "--comment") i++;
      else kept.push(w[i]);
    }
    const scenarioLine = `${table === "filter" ? "" : `-t ${table} `}${kept.join(" ")}`;
    const ok = (MODELLED[table] ?? []).includes(chain) &&
      !kept.some((x) => x.includes('"') || /\s/.test(x)) && parseIptables(scenarioLine).ok;
    if (ok) lines.push(scenarioLine);
    else if (HOOKS.includes(chain) && (BUILTIN[table] ?? []).includes(chain)) {
      const target = kept[kept.indexOf("-j") + 1] ?? kept[kept.indexOf("-g") + 1];
      const what = target && kept.includes("-j")
        ? `iptables ${table} ${chain} -j ${target}`
        : `iptables ${table} ${chain} rule`;
      meet(chain, what, `${tableWords} ${line}`);
    }
    // A rule in a user chain is met only through a jump, which is itself an entry above.
  }
  return { lines, unmodelled };
}
