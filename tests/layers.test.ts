/**
 * The kernel's layers, as docs/architecture.md lists them, are the layers
 * its imports really form: every relative import under `src/` points to the
 * same layer or one listed before it, and every folder and top-level file of
 * `src/` is listed. The order is read from the document's table, so the
 * document and this test cannot disagree; a new import that points up fails
 * here with the file, the line and the two layers.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

/** One import of a module: its specifier and the line it is on. */
export interface ImportRef {
  readonly spec: string;
  readonly line: number;
}

/**
 * The module specifiers a TypeScript source imports or re-exports
 * (static, type-only, side-effect and dynamic `import("...")`), with
 * comments and the contents of other strings and templates ignored.
 */
export function importsOf(source: string): ImportRef[] {
  // Comments become blanks, templates keep only their newlines, and each
  // quoted string becomes a numbered placeholder, so that only a string in
  // a specifier's place counts and line numbers stay as they were.
  let code = "";
  const strings: string[] = [];
  let i = 0;
  const n = source.length;
  const blank = (text: string) => text.replace(/[^\n]/g, " ");
  while (i < n) {
    const c = source[i];
    const start = i;
    if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      code += blank(source.slice(start, i));
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
      code += blank(source.slice(start, i));
    } else if (c === '"' || c === "'" || c === "`") {
      i++;
      while (i < n && source[i] !== c) i += source[i] === "\\" ? 2 : 1;
      i++;
      if (c === "`") code += blank(source.slice(start, i));
      else {
        code += `"${strings.length}"`;
        strings.push(source.slice(start + 1, i - 1));
      }
    } else {
      code += c;
      i++;
    }
  }
  const out: { spec: string; line: number; at: number }[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*"(\d+)"/g,
    /\bimport\s*"(\d+)"/g,
    /\bimport\s*\(\s*"(\d+)"\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) {
      const at = m.index! + m[0].length;
      out.push({ spec: strings[Number(m[1])], line: code.slice(0, at).split("\n").length, at });
    }
  }
  return out.sort((a, b) => a.at - b.at).map(({ spec, line }) => ({ spec, line }));
}

/** The layer names in the order docs/architecture.md's table lists them, lowest first. */
function documentedLayers(): string[] {
  const doc = Deno.readTextFileSync(join(ROOT, "docs/architecture.md"));
  const section = doc.slice(doc.indexOf("## Layers"));
  const layers: string[] = [];
  for (const line of section.split("\n")) {
    const m = /^\|\s*`([\w.-]+\/?)`\s*\|/.exec(line);
    if (m) layers.push(m[1].replace(/\/$/, ""));
    else if (layers.length > 0 && !line.startsWith("|")) break;
  }
  return layers;
}

/** The layer of a file under src/: its folder, or the file itself at the top. */
function layerOf(file: string): string {
  // A specifier names `./mod.js` for the file `mod.ts`.
  return relative(SRC, file).split("/")[0].replace(/\.js$/, ".ts");
}

function* sourceFiles(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* sourceFiles(path);
    else if (e.isFile && e.name.endsWith(".ts")) yield path;
  }
}

test("layers: the import scanner reads static, type-only, re-export and dynamic imports only", () => {
  const source = [
    'import { a } from "./a.js";',
    "import type {",
    "  B,",
    '} from "../b.js";',
    'export * from "./c.js";',
    'export type { D } from "./d.js";',
    'import "./side.js";',
    'const e = await import("./e.js");',
    '// import { no } from "./comment.js";',
    '/* export * from "./block.js"; */',
    'const s = "import { x } from \\"./string.js\\"";',
    'const t = `import("./template.js")`;',
  ].join("\n");
  assert.equal(importsOf(source), [
    { spec: "./a.js", line: 1 },
    { spec: "../b.js", line: 4 },
    { spec: "./c.js", line: 5 },
    { spec: "./d.js", line: 6 },
    { spec: "./side.js", line: 7 },
    { spec: "./e.js", line: 8 },
  ]);
});

test("layers: every folder and top-level file of src/ is a documented layer", () => {
  const layers = documentedLayers();
  assert.ok(layers.length > 10, `read ${layers.length} layers from docs/architecture.md`);
  assert.equal(new Set(layers).size, layers.length, `a layer listed twice: ${layers}`);
  const present = [...Deno.readDirSync(SRC)].map((e) => e.name.replace(/\/$/, ""));
  const missing = present.filter((name) => !layers.includes(name));
  const stale = layers.filter((name) => !present.includes(name));
  assert.equal(missing, [], `in src/ but not in docs/architecture.md: ${missing}`);
  assert.equal(stale, [], `in docs/architecture.md but not in src/: ${stale}`);
});

/**
 * The imports of one file under src/ that point up the layers, as
 * `file:line (layer) imports spec (layer)`.
 */
function upwardImports(file: string, source: string, rank: Map<string, number>): string[] {
  const from = layerOf(file);
  const found: string[] = [];
  for (const { spec, line } of importsOf(source)) {
    if (!spec.startsWith(".")) continue;
    const target = normalize(join(dirname(file), spec));
    const to = target.startsWith(SRC + "/") ? layerOf(target) : "outside src/";
    if ((rank.get(to) ?? Infinity) > (rank.get(from) ?? -1)) {
      found.push(`${relative(ROOT, file)}:${line} (${from}) imports ${spec} (${to})`);
    }
  }
  return found;
}

test("layers: an import that points up, or out of src/, is found with its file and line", () => {
  const rank = new Map(documentedLayers().map((name, i) => [name, i]));
  const source = [
    'import type { World } from "../model/world.js";',
    'import { trace } from "../trace/tracer.js";',
    'import { x } from "./layer2.js";',
    'import { y } from "../../tests/support/world.ts";',
  ].join("\n");
  assert.equal(upwardImports(join(SRC, "forward/netfilter.ts"), source, rank), [
    "src/forward/netfilter.ts:2 (forward) imports ../trace/tracer.js (trace)",
    "src/forward/netfilter.ts:4 (forward) imports ../../tests/support/world.ts (outside src/)",
  ]);
});

test("layers: every import under src/ points to its own layer or a lower one", () => {
  const rank = new Map(documentedLayers().map((name, i) => [name, i]));
  const upward: string[] = [];
  let count = 0;
  for (const file of sourceFiles(SRC)) {
    const source = Deno.readTextFileSync(file);
    count += importsOf(source).filter((i) => i.spec.startsWith(".")).length;
    upward.push(...upwardImports(file, source, rank));
  }
  assert.ok(count > 200, `found ${count} relative imports under src/`);
  assert.equal(upward, [], `imports that point up the layers:\n${upward.join("\n")}`);
});

test.run();
