/**
 * `deno task collector` — prints the collector, the read-only POSIX shell
 * script a user runs on each node (`sh collector.sh > node.json`) to record
 * its network state for `deno task import`. See docs/import.md.
 *
 * @module
 */
import { run } from "./common.js";

const USAGE = "deno task collector > collector.sh";

function main(): number {
  const text = Deno.readTextFileSync(new URL("../import/collector.sh", import.meta.url));
  Deno.stdout.writeSync(new TextEncoder().encode(text));
  return 0;
}

if (import.meta.main) run("collector", USAGE, main);
