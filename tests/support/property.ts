/**
 * Running fast-check properties the same way in every test file: a failure
 * reports the seed and path (set FC_SEED and FC_PATH to replay it), the
 * shrunk counterexample and the assertion that failed.
 *
 * @module
 */
import fc from "fast-check";

/** Seed and path from FC_SEED / FC_PATH, to replay a reported failure. */
export function replayParameters(): fc.Parameters<unknown> {
  try {
    const seed = Deno.env.get("FC_SEED");
    const path = Deno.env.get("FC_PATH");
    if (seed === undefined) return {};
    return path === undefined ? { seed: Number(seed) } : { seed: Number(seed), path };
  } catch {
    return {}; // no --allow-env: run with a fresh seed
  }
}

/**
 * Asserts a property; a failure's message carries the seed and path.
 *
 * @param property The property.
 * @param numRuns How many generated cases.
 */
export function holds<T>(property: fc.IProperty<T>, numRuns = 100): void {
  const parameters = { numRuns, includeErrorInReport: true, ...replayParameters() };
  fc.assert(property, parameters as fc.Parameters<T>);
}
