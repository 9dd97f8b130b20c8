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
 * Returns the value of a result or throws, for tests and hard-coded inputs.
 *
 * @param result A result that the caller knows to be a success.
 * @param describe Turns the error into a message.
 * @returns The success value.
 * @example
 * ```ts
 * import { ok, unwrap } from "./result.js";
 * unwrap(ok(1)); // 1
 * ```
 */
export function unwrap<T, E>(
  result: Result<T, E>,
  describe: (error: E) => string = (e) => String(e),
): T {
  if (result.ok) return result.value;
  throw new Error(describe(result.error));
}
