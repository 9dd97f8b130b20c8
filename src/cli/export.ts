/**
 * `deno task export <scenario.json> [--prefix P]` — prints a POSIX shell
 * script that builds the scenario in Linux network namespaces
 * (`sh lab.sh up`, as root) and removes it again (`sh lab.sh down`).
 * Exit code: 0, or 2 for bad input. See docs/lab.md.
 *
 * @module
 */
import { DEFAULT_PREFIX, exportScript } from "../lab/export.js";
import { readArgs, readWorld, run, UsageError } from "./common.js";

const USAGE = `deno task export <scenario.json> [--prefix P] (default prefix ${DEFAULT_PREFIX})`;

function main(): number {
  const { values, positionals } = readArgs(Deno.args, { prefix: { type: "string" } });
  if (positionals.length !== 1) {
    throw new UsageError(`Expected 1 argument, got ${positionals.length}`);
  }
  const world = readWorld(positionals[0]);
  const script = exportScript(world, { prefix: values.prefix });
  if (!script.ok) throw new UsageError(`${script.error.subject}: ${script.error.message}`);
  console.log(script.value);
  return 0;
}

if (import.meta.main) run("export", USAGE, main);
