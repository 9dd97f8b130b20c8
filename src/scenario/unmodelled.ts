/**
 * The `unmodelled` list of a namespace in a scenario document: what a real
 * node has that the model does not, and where a packet meets it (see
 * {@linkcode Unmodelled}). `deno task import` writes these; the loader
 * checks them like every other field.
 *
 * @module
 */
import { Addr, formatParseError, Prefix } from "../addr/mod.js";
import type { NetfilterHook, Unmodelled } from "../model/world.js";
import { at, type Reader } from "./reader.js";

type Obj = Readonly<Record<string, unknown>>;

const KINDS = ["route", "address", "rules", "netfilter", "device", "listed"] as const;
const HOOKS: readonly NetfilterHook[] = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"];
/** Printable text without control characters, at most this long. */
const MAX_TEXT = 2000;
// deno-lint-ignore no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** An entry of a namespace's `unmodelled` list, as JSON. */
export type UnmodelledDoc = Readonly<Record<string, string>>;

/**
 * Reads a namespace's `unmodelled` list.
 *
 * @param r Collects the problems.
 * @param raw The namespace's JSON object.
 * @param path Its JSON Pointer.
 * @param devices The names of the namespace's devices (a `device` entry names one).
 * @returns The entries that are well formed.
 */
export function readUnmodelled(
  r: Reader,
  raw: Obj,
  path: string,
  devices: readonly string[],
): Unmodelled[] {
  const list = r.array(raw, "unmodelled", path, true) ?? [];
  const out: Unmodelled[] = [];
  list.forEach((v, i) => {
    const p = at(at(path, "unmodelled"), i);
    const o = r.object(v, p, ["kind", "what", "text", "dst", "addr", "hook", "device"]);
    if (o === undefined) return;
    const kind = r.oneOf(o, "kind", p, KINDS);
    const what = text(r, o, "what", p);
    const said = text(r, o, "text", p);
    if (kind === undefined || what === undefined || said === undefined) return;
    const base = { what, text: said };
    const extra = (allowed: string[]) => {
      for (const k of ["dst", "addr", "hook", "device"]) {
        if (!allowed.includes(k) && o[k] !== undefined) {
          r.fail(at(p, k), o[k], `An unmodelled ${kind} has no "${k}"`);
        }
      }
    };
    switch (kind) {
      case "route": {
        extra(["dst"]);
        const dst = r.string(o, "dst", p);
        if (dst === undefined) return;
        const prefix = Prefix.parse(dst);
        if (!prefix.ok) return r.fail(at(p, "dst"), dst, formatParseError(prefix.error));
        out.push({ kind, ...base, dst: prefix.value });
        return;
      }
      case "address": {
        extra(["addr"]);
        const addr = r.string(o, "addr", p);
        if (addr === undefined) return;
        const a = Addr.parse(addr);
        if (!a.ok) return r.fail(at(p, "addr"), addr, formatParseError(a.error));
        out.push({ kind, ...base, addr: a.value });
        return;
      }
      case "netfilter": {
        extra(["hook"]);
        const hook = r.oneOf(o, "hook", p, HOOKS);
        if (hook !== undefined) out.push({ kind, ...base, hook });
        return;
      }
      case "device": {
        extra(["device"]);
        const device = r.string(o, "device", p);
        if (device === undefined) return;
        if (!devices.includes(device)) {
          return r.fail(at(p, "device"), device, "No device of that name in the namespace");
        }
        out.push({ kind, ...base, device });
        return;
      }
      case "rules":
      case "listed":
        extra([]);
        out.push({ kind, ...base });
        return;
    }
  });
  return out;
}

function text(r: Reader, o: Obj, key: string, path: string): string | undefined {
  const v = r.string(o, key, path);
  if (v === undefined) return undefined;
  if (v.length === 0 || v.length > MAX_TEXT || UNPRINTABLE.test(v)) {
    return r.fail(
      at(path, key),
      v,
      `Expected 1 to ${MAX_TEXT} printable characters (no control or direction characters)`,
    );
  }
  return v;
}

/**
 * The JSON form of a namespace's unmodelled entries.
 *
 * @param list The entries.
 * @returns Their documents, for `save.ts`.
 * @example
 * ```ts
 * import { Prefix } from "../addr/mod.js";
 * import { unmodelledDocs } from "./unmodelled.js";
 * unmodelledDocs([{ kind: "route", what: "tunl0 (ipip)", text: "10.244.2.0/26 dev tunl0", dst: Prefix.mustParse("10.244.2.0/26") }]);
 * // [{ kind: "route", what: "tunl0 (ipip)", text: "10.244.2.0/26 dev tunl0", dst: "10.244.2.0/26" }]
 * ```
 */
export function unmodelledDocs(list: readonly Unmodelled[]): UnmodelledDoc[] {
  return list.map((u) => {
    const base = { kind: u.kind, what: u.what, text: u.text };
    switch (u.kind) {
      case "route":
        return { ...base, dst: u.dst.toString() };
      case "address":
        return { ...base, addr: u.addr.toString() };
      case "netfilter":
        return { ...base, hook: u.hook };
      case "device":
        return { ...base, device: u.device };
      case "rules":
      case "listed":
        return base;
    }
  });
}
