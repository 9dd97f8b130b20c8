/**
 * `deno task import <node.json>... [--pods pods.json] [--name N] > cluster.json`
 * — turns the collector's documents (one per node) into a scenario that
 * `deno task trace` and `deno task verify` read. What was inferred and what
 * podnet does not model is printed on stderr. Exit code: 0, or 2 when an
 * input is bad (each problem names the file, the JSON path and the value).
 * See docs/import.md.
 *
 * @module
 */
import { formatImportError } from "../import/document.js";
import { formatImportReport, importCluster, type InputFile } from "../import/mod.js";
import { readArgs, run, UsageError } from "./common.js";

const USAGE = "deno task import <node.json>... [--pods pods.json] [--name NAME] > cluster.json";

function read(path: string): InputFile {
  try {
    return { file: path, text: Deno.readTextFileSync(path) };
  } catch (e) {
    throw new UsageError(`Cannot read ${path}: ${(e as Error).message}`);
  }
}

function main(): number {
  const { values, positionals } = readArgs(Deno.args, {
    pods: { type: "string" },
    name: { type: "string" },
  });
  if (positionals.length === 0) throw new UsageError("Expected at least one node document");
  const name = values.name ?? "imported";
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) {
    throw new UsageError(`--name ${JSON.stringify(name)}: letters, digits, ".", "_", "-"`);
  }
  const r = importCluster(
    positionals.map(read),
    values.pods === undefined ? undefined : read(values.pods),
    name,
  );
  if (!r.ok) {
    const shown = r.error.slice(0, 20).map((e) => `  ${formatImportError(e)}`);
    const more = r.error.length > 20 ? [`  ... and ${r.error.length - 20} more`] : [];
    throw new UsageError(`${r.error.length} problem(s):\n${[...shown, ...more].join("\n")}`);
  }
  console.log(JSON.stringify(r.value.scenario, null, 2));
  console.error(formatImportReport(r.value));
  return 0;
}

if (import.meta.main) run("import", USAGE, main);
