/**
 * What the command-line tools share: reading a scenario file and reporting
 * bad input as one line with exit code 2.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseScenario } from "../scenario/load.js";
import { escapeText } from "../text.js";
import { formatLoadError } from "../scenario/reader.js";
import type { World } from "../model/world.js";

/** Bad arguments or a bad scenario file: the message, then exit 2. */
export class UsageError extends Error {}

/**
 * Parses command-line flags strictly; unknown flags are usage errors.
 *
 * @param args The arguments.
 * @param options Flag definitions (node:util parseArgs form).
 * @returns Values and positionals.
 */
export function readArgs<T extends ParseArgsConfig["options"]>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split("\n")[0]);
  }
}

/**
 * Reads and loads a scenario file.
 *
 * @param path The file.
 * @returns The world.
 * @throws UsageError naming the file and its problems.
 */
export function readWorld(path: string): World {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new UsageError(`Cannot read scenario ${path}: ${(e as Error).message}`);
  }
  const world = parseScenario(text);
  if (world.ok) return world.value;
  const shown = world.error.slice(0, 3).map(formatLoadError).join(" | ");
  const more = world.error.length > 3 ? ` | and ${world.error.length - 3} more` : "";
  const count = world.error.length === 1 ? "1 problem" : `${world.error.length} problems`;
  throw new UsageError(`Scenario ${path} has ${count}: ${shown}${more}`);
}

/**
 * Runs a command's main function: usage errors print one line and exit 2.
 *
 * @param name The command's name, for messages.
 * @param usage One line of usage.
 * @param main Returns the exit code.
 */
export function run(name: string, usage: string, main: () => number) {
  let code: number;
  try {
    code = main();
  } catch (e) {
    if (!(e instanceof UsageError)) {
      // A bug, not bad input: one line all the same, never a stack trace.
      const text = e instanceof Error ? e.message : String(e);
      console.error(`podnet ${name}: failed: ${escapeText(text.replace(/\s*\n\s*/g, " | "), 500)}`);
      Deno.exit(1);
    }
    console.error(`podnet ${name}: ${e.message}\nusage: ${usage}`);
    code = 2;
  }
  Deno.exit(code);
}
