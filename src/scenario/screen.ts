/**
 * The first look at an untrusted scenario document, before any field is
 * read: every string (keys included) is short and free of control and
 * bidirectional characters, and the world is no bigger than
 * {@linkcode LOAD_LIMITS}. One pass over the document, so a hostile file
 * costs time in proportion to its size and is refused before the loader
 * builds anything from it.
 *
 * @module
 */
import { escapeText, firstUnsafe } from "../text.js";
import { at, type LoadError } from "./reader.js";

/** How big a world the loader reads; each bound is well above the largest lesson world. */
export const LOAD_LIMITS = {
  /** A scenario file's text, in UTF-16 code units (32 MiB). */
  textChars: 32 * 1024 * 1024,
  /** Any one string: names, lines, descriptions. */
  stringChars: 10_000,
  segments: 1_000,
  nodes: 5_000,
  namespaces: 10_000,
  /** Devices in all namespaces. */
  devices: 50_000,
  /** Addresses, routes, removed routes, neighbours, FDB entries and iptables lines. */
  lines: 250_000,
  pods: 10_000,
  /** Containers in all pods. */
  containers: 50_000,
} as const;

/** Bounds on a world's size, each a count {@linkcode screenScenario} checks. */
export type LoadLimits = { readonly [K in keyof typeof LOAD_LIMITS]: number };

/**
 * The bounds for a whole cluster at Kubernetes' documented maximum (5,000
 * nodes, 150,000 pods, and every node's route to every other node's pods),
 * for code that builds or imports such a cluster itself — the builders, the
 * command line, the benchmarks. Files and pages keep {@linkcode LOAD_LIMITS}.
 */
export const CLUSTER_LIMITS: LoadLimits = {
  ...LOAD_LIMITS,
  nodes: 5_000,
  namespaces: 160_000,
  devices: 1_000_000,
  lines: 80_000_000,
  pods: 150_000,
  containers: 1_500_000,
};

/** Problems after which screening stops looking for more. */
const MAX_PROBLEMS = 50;

const LINE_KEYS = ["routes", "removedKernelRoutes", "neighbours", "fdb", "iptables"] as const;

/**
 * Screens a parsed scenario document: strings and size.
 *
 * @param doc Parsed JSON of any shape.
 * @param limits The bounds on its size (default {@linkcode LOAD_LIMITS}).
 * @returns The problems (empty when the document may be read).
 * @example
 * ```ts
 * import { screenScenario } from "./screen.js";
 * screenScenario({ name: "a\u202Eb" })[0].message;
 * // "Bidirectional or control character U+202E (right-to-left override) at character 2"
 * ```
 */
export function screenScenario(doc: unknown, limits: LoadLimits = LOAD_LIMITS): LoadError[] {
  const problems: LoadError[] = [];
  screenStrings(doc, problems);
  if (problems.length === 0) problems.push(...screenSize(doc, limits));
  return problems;
}

/**
 * Checks every string and field name of the document. Paths are made only
 * for containers and for a string that has a problem (a cluster has tens of
 * millions of lines), and a text repeated across the document — every node
 * holds the same route to a given node — is checked once.
 */
function screenStrings(doc: unknown, problems: LoadError[]) {
  const stack: [unknown, string][] = [[doc, ""]];
  const checked = new CheckedTexts(problems);
  if (typeof doc === "string") checked.text(doc, () => "");
  while (stack.length > 0 && problems.length < MAX_PROBLEMS) {
    const [v, path] = stack.pop()!;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === "string") checked.listText(x, i, () => at(path, i));
      }
      for (let i = v.length - 1; i >= 0; i--) {
        const x = v[i];
        if (typeof x === "object" && x !== null) stack.push([x, at(path, i)]);
      }
    } else if (typeof v === "object" && v !== null) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i];
        const p = checkString(k, at(path, k), "field name");
        if (p) {
          problems.push({ ...p, path: path === "" ? "(document)" : path });
          continue;
        }
        const x = (v as Record<string, unknown>)[k];
        if (typeof x === "string") checked.text(x, () => at(path, k));
        else if (typeof x === "object" && x !== null) stack.push([x, at(path, k)]);
      }
    }
  }
  if (problems.length >= MAX_PROBLEMS) {
    problems.push({ path: "", value: undefined, message: "Too many problems; stopped looking" });
  }
}

/**
 * The texts screening found clean, each checked once however often it
 * repeats: a set of clean texts, and the clean text last seen at each
 * position of a list — the nodes' route lists hold the same text at almost
 * every position, and comparing two references is cheaper than a lookup.
 */
class CheckedTexts {
  readonly #clean = new Set<string>();
  readonly #cleanAt: string[] = [];
  readonly #problems: LoadError[];

  constructor(problems: LoadError[]) {
    this.#problems = problems;
  }

  /** Checks a text (once per distinct text); a problem is recorded at `path()`. */
  text(s: string, path: () => string): boolean {
    if (this.#clean.has(s)) return true;
    const p = checkString(s, "");
    if (p) this.#problems.push({ ...p, path: path() });
    else this.#clean.add(s);
    return p === undefined;
  }

  /** Checks the text at position `i` of a list. */
  listText(s: string, i: number, path: () => string): void {
    if (this.#cleanAt[i] === s) return;
    if (this.text(s, path)) this.#cleanAt[i] = s;
  }
}

function checkString(s: string, path: string, what = "string"): LoadError | undefined {
  if (s.length > LOAD_LIMITS.stringChars) {
    return {
      path,
      value: undefined,
      message: `A ${what} of ${s.length} characters; at most ${LOAD_LIMITS.stringChars}`,
    };
  }
  const bad = firstUnsafe(s);
  if (bad === undefined) return undefined;
  return {
    path,
    value: undefined,
    message: `Bidirectional or control character ${bad.name} at character ${bad.at + 1} of ` +
      `the ${what} "${escapeText(s, 80)}"`,
  };
}

type Obj = Readonly<Record<string, unknown>>;

const list = (o: unknown, key: string): readonly unknown[] => {
  const v = typeof o === "object" && o !== null ? (o as Obj)[key] : undefined;
  return Array.isArray(v) ? v : [];
};

function screenSize(doc: unknown, limits: LoadLimits): LoadError[] {
  const namespaces = list(doc, "namespaces");
  const pods = list(doc, "pods");
  let devices = 0;
  let lines = 0;
  for (const ns of namespaces) {
    const devs = list(ns, "devices");
    devices += devs.length;
    for (const d of devs) lines += list(d, "addresses").length;
    for (const k of LINE_KEYS) lines += list(ns, k).length;
  }
  let containers = 0;
  for (const p of pods) containers += list(p, "containers").length;
  const counts: [keyof typeof LOAD_LIMITS, number, string, string][] = [
    ["segments", list(doc, "segments").length, "/segments", "segments"],
    ["nodes", list(doc, "nodes").length, "/nodes", "nodes"],
    ["namespaces", namespaces.length, "/namespaces", "namespaces"],
    ["devices", devices, "/namespaces", "devices"],
    [
      "lines",
      lines,
      "/namespaces",
      "addresses, routes, neighbours, FDB entries and iptables lines",
    ],
    ["pods", pods.length, "/pods", "pods"],
    ["containers", containers, "/pods", "containers"],
  ];
  return counts.flatMap(([key, n, path, what]) =>
    n > limits[key]
      ? [{
        path,
        value: undefined,
        message: `The world has ${n} ${what}; podnet loads at most ${limits[key]}`,
      }]
      : []
  );
}
