/**
 * Errors as values: every function that reads user input returns a
 * {@linkcode Result} instead of throwing.
 *
 * @module
 */

/** The outcome of an operation that can fail on bad input. */
export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/**
 * Wraps a success value.
 *
 * @param value The value produced.
 * @returns A successful result.
 * @example
 * ```ts
 * import { ok } from "./result.js";
 * const r = ok(42);
 * console.log(r.ok && r.value); // 42
 * ```
 */
export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

/**
 * Wraps an error value.
 *
 * @param error What went wrong.
 * @returns A failed result.
 * @example
 * ```ts
 * import { err } from "./result.js";
 * const r = err("Unknown pod \"z\"");
 * console.log(r.ok); // false
 * ```
 */
export function err<E>(error: E): Result<never, E> {
  return { ok: false, error };
}

/**
 * One line for any error value the kernel returns: a string as it is; an
 * error object as `<where>: <message>` (its `subject`, `field` or `path`,
 * then its `message`); a list of them joined with `; `. Anything else is
 * written as JSON. It never returns `[object Object]`.
 *
 * @param error An error value from a {@linkcode Result}.
 * @returns The message.
 * @example
 * ```ts
 * import { describeError } from "./result.js";
 * describeError({ subject: "gateway", message: "No route 10.244.9.0/24" }); // "gateway: No route 10.244.9.0/24"
 * describeError([{ path: "/nodes/0", message: "Missing" }, "Bad"]); // "/nodes/0: Missing; Bad"
 * ```
 */
export function describeError(error: unknown): string {
  if (typeof error === "string") return error;
  if (Array.isArray(error)) return error.map(describeError).join("; ");
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null) {
    const e = error as Record<string, unknown>;
    if (typeof e.message === "string") {
      const where = [e.subject, e.field, e.path].find((w) => typeof w === "string" && w !== "");
      return where === undefined ? e.message : `${where}: ${e.message}`;
    }
  }
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * Returns the value of a result or throws, for tests, hard-coded inputs and
 * notebook cells. The thrown `Error` carries the error value as its `cause`.
 *
 * @param result A result that the caller knows to be a success.
 * @param describe Turns the error into a message; by default {@linkcode describeError}.
 * @returns The success value.
 * @example
 * ```ts
 * import { err, ok, unwrap } from "./result.js";
 * unwrap(ok(1)); // 1
 * try {
 *   unwrap(err({ subject: "gateway", message: "No such route" }));
 * } catch (e) {
 *   (e as Error).message; // "gateway: No such route"
 * }
 * ```
 */
export function unwrap<T, E>(
  result: Result<T, E>,
  describe: (error: E) => string = describeError,
): T {
  if (result.ok) return result.value;
  throw new Error(describe(result.error), { cause: result.error });
}
