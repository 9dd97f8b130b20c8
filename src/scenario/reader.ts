/**
 * A small reader for untrusted JSON that records every problem with its
 * JSON Pointer path and the offending value, and never throws.
 *
 * @module
 */
import { escapeText } from "../text.js";

/** One problem in a scenario document. */
export interface LoadError {
  /** JSON Pointer to the bad value, e.g. `/namespaces/1/routes/0`. */
  readonly path: string;
  /** The offending value (`undefined` when a field is missing). */
  readonly value: unknown;
  readonly message: string;
  /**
   * Set when the problem is a well-formed line the kernel refuses (`ip
   * route add` says "File exists", `bridge fdb add` "Cannot find device"
   * ...): which line, so that a builder can leave it out the way an
   * operator's script simply goes on.
   */
  readonly refused?: RefusedLine;
  /** Set on the last entry when there were more problems than are listed. */
  readonly truncated?: true;
}

/** A line of a namespace's `routes`, `neighbours` or `fdb` that the kernel refuses. */
export interface RefusedLine {
  readonly namespace: number;
  readonly list: "routes" | "neighbours" | "fdb";
  readonly index: number;
}

/**
 * Renders a load error on one line.
 *
 * @param e The error.
 * @returns e.g. `/namespaces/1/routes/0: Nexthop has invalid gateway (value: "10.0.0.0/8 via 1.2.3.4")`.
 */
export function formatLoadError(e: LoadError): string {
  const where = e.path === "" ? "(document)" : e.path;
  return e.value === undefined
    ? `${where}: ${e.message}`
    : `${where}: ${e.message} (value: ${preview(e.value)})`;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" && value.length > 1000
      ? JSON.stringify(value.slice(0, 1000))
      : Array.isArray(value) && value.length > 20
      ? `[${value.length} items]`
      : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return escapeText(text.length > 80 ? `${text.slice(0, 77)}...` : text, 100);
}

/** Appends a key or index to a JSON Pointer. */
export function at(path: string, key: string | number): string {
  return `${path}/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

type Obj = Readonly<Record<string, unknown>>;

/** How many problems a {@linkcode Reader} lists. */
export const MAX_ERRORS = 200;

/** Collects problems while reading; each read returns `undefined` on failure. */
export class Reader {
  readonly errors: LoadError[] = [];

  /**
   * Records a problem; returns `undefined` so callers can `return r.fail(...)`.
   * After {@linkcode MAX_ERRORS} problems, one more says that the rest are not listed.
   */
  fail(path: string, value: unknown, message: string, refused?: RefusedLine): undefined {
    if (this.errors.length < MAX_ERRORS) {
      this.errors.push({ path, value, message, ...(refused ? { refused } : {}) });
    } else if (this.errors.length === MAX_ERRORS) {
      this.errors.push({
        path: "",
        value: undefined,
        message: "More problems, not listed",
        truncated: true,
      });
    }
    return undefined;
  }

  /** A plain object, with no fields beyond `allowed`. */
  object(value: unknown, path: string, allowed: readonly string[]): Obj | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.fail(path, value, "Expected an object");
    }
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) this.fail(at(path, k), (value as Obj)[k], `Unknown field "${k}"`);
    }
    return value as Obj;
  }

  /** An array field; absent optional arrays read as empty. */
  array(obj: Obj, key: string, path: string, optional = false): readonly unknown[] | undefined {
    const v = obj[key];
    if (v === undefined && optional) return [];
    if (!Array.isArray(v)) {
      return this.fail(
        at(path, key),
        v,
        v === undefined ? `Field "${key}" is missing` : "Expected an array",
      );
    }
    return v;
  }

  /** A string field, optionally checked against a pattern. */
  string(
    obj: Obj,
    key: string,
    path: string,
    opts: { optional?: boolean; pattern?: RegExp; what?: string } = {},
  ): string | undefined {
    const v = obj[key];
    if (v === undefined && opts.optional) return undefined;
    if (typeof v !== "string") {
      return this.fail(
        at(path, key),
        v,
        v === undefined ? `Field "${key}" is missing` : "Expected a string",
      );
    }
    if (opts.pattern && !opts.pattern.test(v)) {
      return this.fail(at(path, key), v, `Not a valid ${opts.what ?? key}`);
    }
    return v;
  }

  /** An integer field within bounds, with a default when absent. */
  int(
    obj: Obj,
    key: string,
    path: string,
    min: number,
    max: number,
    fallback?: number,
  ): number | undefined {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      return this.fail(
        at(path, key),
        v,
        v === undefined
          ? `Field "${key}" is missing`
          : `Expected a whole number from ${min} to ${max}`,
      );
    }
    return v;
  }

  /** A boolean field with a default when absent. */
  bool(obj: Obj, key: string, path: string, fallback: boolean): boolean {
    const v = obj[key];
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") {
      this.fail(at(path, key), v, "Expected true or false");
      return fallback;
    }
    return v;
  }

  /** One of a closed set of strings. */
  oneOf<T extends string>(
    obj: Obj,
    key: string,
    path: string,
    options: readonly T[],
    fallback?: T,
  ): T | undefined {
    const v = obj[key];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== "string" || !(options as readonly string[]).includes(v)) {
      return this.fail(
        at(path, key),
        v,
        v === undefined ? `Field "${key}" is missing` : `Expected one of ${options.join(", ")}`,
      );
    }
    return v as T;
  }
}
