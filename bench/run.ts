/**
 * `deno task bench`: runs every `bench/*.bench.ts` in this one process and
 * prints one summary table. Each bench module exports `bench(): Row[]`.
 * Arguments pick files by name: `deno task bench trace calico` runs
 * `trace.bench.ts` and `calico.bench.ts` only.
 *
 * Run with `--v8-flags=--expose-gc` (the task does) so that retained memory
 * is measured after a full collection.
 *
 * @module
 */
import { type Row, table } from "./support.js";

const dir = new URL(".", import.meta.url);
const LAST = "calico.bench.ts";
const files = [...Deno.readDirSync(dir)]
  .filter((e) => e.isFile && e.name.endsWith(".bench.ts"))
  .filter((e) => Deno.args.length === 0 || Deno.args.some((a) => e.name.includes(a)))
  .map((e) => e.name)
  // Calico's 5,000-node runs (three modes and a baseline) leave the process
  // with a large heap; they run last so that verify.bench.ts's "process RSS,
  // one 5000-node verification live" row does not carry them.
  .sort((a, b) => Number(a === LAST) - Number(b === LAST) || a.localeCompare(b));
const rows: Row[] = [];
const started = performance.now();
for (const name of files) {
  console.error(`running bench/${name} ...`);
  const mod = await import(new URL(name, dir).href) as { bench: () => Row[] | Promise<Row[]> };
  rows.push(...await mod.bench());
}
const load = Deno.loadavg().map((x) => x.toFixed(1)).join(" ");
console.log(
  `\npodnet benchmarks (deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, load average ${load})\n`,
);
console.log(table(rows));
console.log(
  `\n${rows.filter((r) => r.ok === false).length} target(s) missed; ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s in all`,
);
