/**
 * Reading a collector document (format 1, written by `collector.sh`): the
 * outer JSON, and the JSON each `ip -j` / `bridge -j` command printed
 * inside it. The input is untrusted: every value is checked before use and
 * every problem names the file, the JSON path and the value. Nothing here
 * throws.
 *
 * A path into a command's output is written
 * `/namespaces/1/commands/link/out#/3/ifname`: the field that holds the
 * text, then a JSON Pointer into the JSON it holds.
 *
 * @module
 */

/** One problem with an input file. */
export interface ImportError {
  readonly file: string;
  /** JSON path of the bad value. */
  readonly path: string;
  /** The bad value (`undefined` when it is missing). */
  readonly value: unknown;
  readonly message: string;
}

/**
 * One line for an import error: `file: path: message (value: ...)`.
 *
 * @param e The error.
 * @returns The line.
 * @example
 * ```ts
 * import { formatImportError } from "./document.js";
 * formatImportError({ file: "n1.json", path: "/node", value: 7, message: "Expected a string" });
 * // 'n1.json: /node: Expected a string (value: 7)'
 * ```
 */
export function formatImportError(e: ImportError): string {
  const where = e.path === "" ? "(document)" : e.path;
  if (e.value === undefined) return `${e.file}: ${where}: ${e.message}`;
  let shown: string;
  try {
    shown = JSON.stringify(e.value) ?? String(e.value);
  } catch {
    shown = String(e.value);
  }
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
  return `${e.file}: ${where}: ${e.message} (value: ${shown})`;
}

/** A JSON object as read: unknown values by key. */
export type Json = Readonly<Record<string, unknown>>;

/**
 * Collects problems while reading one file; each read returns `undefined`
 * on failure, so a caller can go on and report everything at once.
 */
export class Problems {
  readonly errors: ImportError[] = [];
  constructor(readonly file: string) {}

  /** Records a problem; returns `undefined`. */
  fail(path: string, value: unknown, message: string): undefined {
    if (this.errors.length < 200) this.errors.push({ file: this.file, path, value, message });
    return undefined;
  }

  /** A plain object. */
  object(v: unknown, path: string): Json | undefined {
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return this.fail(path, v, "Expected an object");
    }
    return v as Json;
  }

  /** An array. */
  array(v: unknown, path: string): readonly unknown[] | undefined {
    return Array.isArray(v) ? v : this.fail(path, v, "Expected an array");
  }

  /** A string field; `optional` lets it be absent. */
  string(o: Json, key: string, path: string, optional = false): string | undefined {
    const v = own(o, key);
    if (v === undefined && optional) return undefined;
    if (typeof v !== "string") {
      return this.fail(
        at(path, key),
        v,
        v === undefined ? `Field "${key}" is missing` : "Expected a string",
      );
    }
    return v;
  }

  /** A whole-number field within bounds. */
  int(o: Json, key: string, path: string, min: number, max: number, optional = false) {
    const v = own(o, key);
    if (v === undefined && optional) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      return this.fail(
        at(path, key),
        v,
        v === undefined ? `Field "${key}" is missing` : `Expected a whole number ${min}-${max}`,
      );
    }
    return v;
  }

  /** An array of strings (absent: empty). */
  strings(o: Json, key: string, path: string): readonly string[] {
    const v = own(o, key);
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
      this.fail(at(path, key), v, "Expected an array of strings");
      return [];
    }
    return v as string[];
  }
}

/** A field of an object, never one inherited from `Object.prototype`. */
export function own(o: Json, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** Appends a key or index to a JSON Pointer. */
export function at(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

/** The collector document format this importer reads. */
export const COLLECTOR_FORMAT = 1;

/** The commands whose output the importer needs; the others are optional. */
const REQUIRED = ["link", "addr", "route"] as const;

/** One command's result in a collector document. */
export interface Command {
  readonly cmd: string;
  readonly status: number;
  readonly out: string;
}

/** One network namespace of a node, as collected. */
export interface CollectedNamespace {
  /** Its name under `ip netns`; `undefined` for the node's own namespace. */
  readonly netns?: string;
  /** JSON path of this namespace in the document. */
  readonly path: string;
  readonly commands: Readonly<Record<string, Command>>;
  /** `net.ipv4.ip_forward` ... as strings; `conf` by device. */
  readonly sysctl: Readonly<Record<string, string>>;
  readonly conf: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** A node's collector document. */
export interface CollectedNode {
  readonly file: string;
  readonly node: string;
  readonly kernel: string;
  readonly namespaces: readonly CollectedNamespace[];
}

/** A document larger than this is refused before parsing (64 MiB). */
export const MAX_DOCUMENT = 64 * 1024 * 1024;

/**
 * Reads a collector document's outer structure. Command outputs stay text
 * until {@linkcode commandJson} parses them.
 *
 * @param file The file name (for messages).
 * @param text Its contents.
 * @returns The node, or every problem found.
 * @example
 * ```ts
 * import { readCollected } from "./document.js";
 * const r = readCollected("n1.json", '{"podnetCollector": 2}');
 * if (!r.ok) console.log(r.errors[0].path); // "/podnetCollector"
 * ```
 */
export function readCollected(
  file: string,
  text: string,
): { ok: true; value: CollectedNode } | { ok: false; errors: ImportError[] } {
  const p = new Problems(file);
  if (text.length > MAX_DOCUMENT) {
    p.fail("", undefined, `Larger than ${MAX_DOCUMENT} bytes: not a collector document`);
    return { ok: false, errors: p.errors };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const why = (e as Error).message.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
    p.fail("", undefined, `Not valid JSON (truncated?): ${why}`);
    return { ok: false, errors: p.errors };
  }
  const top = p.object(doc, "");
  if (top === undefined) return { ok: false, errors: p.errors };
  if (own(top, "podnetCollector") !== COLLECTOR_FORMAT) {
    p.fail(
      "/podnetCollector",
      own(top, "podnetCollector"),
      `Not a podnet collector document of format ${COLLECTOR_FORMAT} (make one with deno task collector)`,
    );
    return { ok: false, errors: p.errors };
  }
  const node = p.string(top, "node", "");
  const kernel = p.string(top, "kernel", "", true) ?? "";
  const list = p.array(own(top, "namespaces"), "/namespaces") ?? [];
  if (list.length === 0) p.fail("/namespaces", own(top, "namespaces"), "No namespace collected");
  const namespaces: CollectedNamespace[] = [];
  list.forEach((v, i) => {
    const ns = readNamespace(p, v, at("/namespaces", i), i === 0);
    if (ns) namespaces.push(ns);
  });
  if (p.errors.length > 0 || node === undefined) return { ok: false, errors: p.errors };
  return { ok: true, value: { file, node, kernel, namespaces } };
}

function readNamespace(
  p: Problems,
  v: unknown,
  path: string,
  first: boolean,
): CollectedNamespace | undefined {
  const o = p.object(v, path);
  if (o === undefined) return undefined;
  const netnsRaw = own(o, "netns");
  let netns: string | undefined;
  if (first) {
    if (netnsRaw !== null) {
      p.fail(at(path, "netns"), netnsRaw, "The first namespace is the node's own (null)");
    }
  } else {
    netns = p.string(o, "netns", path);
  }
  const cmds = p.object(own(o, "commands"), at(path, "commands"));
  if (cmds === undefined) return undefined;
  const commands: Record<string, Command> = {};
  for (const key of Object.keys(cmds)) {
    const cp = at(at(path, "commands"), key);
    const c = p.object(cmds[key], cp);
    if (c === undefined) continue;
    const cmd = p.string(c, "cmd", cp);
    const status = p.int(c, "status", cp, 0, 255);
    const out = p.string(c, "out", cp);
    if (cmd !== undefined && status !== undefined && out !== undefined) {
      commands[key] = { cmd, status, out };
    }
  }
  for (const key of REQUIRED) {
    const c = commands[key];
    const cp = at(at(path, "commands"), key);
    // A failed command is judged where its output is needed (a namespace
    // that vanished while the collector ran is only left out).
    if (c === undefined) p.fail(cp, undefined, `The output of "${key}" is missing`);
  }
  const sysctl: Record<string, string> = {};
  const conf: Record<string, Record<string, string>> = {};
  const s = p.object(own(o, "sysctl") ?? {}, at(path, "sysctl"));
  for (const [k, val] of Object.entries(s ?? {})) {
    const sp = at(at(path, "sysctl"), k);
    if (k === "conf") {
      for (const [dev, keys] of Object.entries(p.object(val, sp) ?? {})) {
        const dp = at(sp, dev);
        const entries = p.object(keys, dp) ?? {};
        const one: Record<string, string> = {};
        for (const [key, x] of Object.entries(entries)) {
          if (typeof x === "string") one[key] = x.trim();
          else p.fail(at(dp, key), x, "Expected a string");
        }
        conf[dev] = one;
      }
    } else if (typeof val === "string") sysctl[k] = val.trim();
    else p.fail(sp, val, "Expected a string");
  }
  return { netns, path, commands, sysctl, conf };
}

/**
 * Parses the JSON a command printed (`ip -j ...`), which must be an array.
 * A command that is absent or failed gives `undefined` without a problem
 * when `optional`.
 *
 * @param p Collects problems.
 * @param ns The namespace.
 * @param key The command's key (`link`, `addr`, `route`, ...).
 * @param optional Whether the command may be missing.
 * @returns The array, or `undefined`.
 */
export function commandJson(
  p: Problems,
  ns: CollectedNamespace,
  key: string,
  optional = false,
): readonly unknown[] | undefined {
  const c = ns.commands[key];
  const path = at(at(ns.path, "commands"), key);
  if (c === undefined) {
    return optional ? undefined : p.fail(path, undefined, `The output of "${key}" is missing`);
  }
  if (c.status !== 0) {
    if (optional) return undefined;
    return p.fail(
      at(path, "status"),
      c.status,
      `"${c.cmd}" failed on the node: its state is unknown`,
    );
  }
  // Some iproute2 versions print nothing, not [], for an empty list.
  if (c.out.trim() === "") return [];
  let v: unknown;
  try {
    v = JSON.parse(c.out);
  } catch (e) {
    const why = (e as Error).message.replace(/[^\x20-\x7e]/g, "?").slice(0, 120);
    return p.fail(at(path, "out"), c.out.slice(0, 60), `"${c.cmd}" printed no valid JSON: ${why}`);
  }
  return p.array(v, `${at(path, "out")}#`);
}
