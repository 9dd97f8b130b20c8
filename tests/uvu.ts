/**
 * Runs many uvu test files in one uvu run, the way uvu's own CLI does:
 * `deno run -A tests/uvu.ts tests/*.test.ts`. Every test file registers its
 * tests and ends with `test.run()`; with UVU_DEFER set, that only queues
 * them, and `exec()` runs the queue once with one summary.
 *
 * @module
 */
import process from "node:process";

const files = Deno.args.filter((f) => f.endsWith(".ts")).sort();
if (files.length === 0) {
  console.error("tests/uvu.ts: no test files given");
  Deno.exit(2);
}
const g = globalThis as unknown as { UVU_DEFER: number; UVU_INDEX: number; UVU_QUEUE: unknown[][] };
g.UVU_DEFER = 1;
g.UVU_QUEUE = [];
const uvu = await import("uvu");
for (const [index, file] of files.entries()) {
  g.UVU_INDEX = index;
  g.UVU_QUEUE.push([file]);
  await import(new URL(file, `file://${Deno.cwd()}/`).href);
}
await uvu.exec(false);
Deno.exit(process.exitCode ? 1 : 0);
