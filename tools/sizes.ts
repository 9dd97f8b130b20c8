/**
 * How much JavaScript each built page loads before the reader does
 * anything, raw and gzip-compressed, read from `dist/`.
 *
 * A page loads, before any interaction: the modules its HTML preloads or
 * imports, every module those import statically, and every script a module
 * names with `import.meta.resolve` (workers, and the cell sandbox's bundle,
 * which the page fetches at load to run its cells). A dynamic `import()`
 * inside a module is what a page loads on interaction (the code editor,
 * when a reader focuses a cell): those modules are counted apart.
 *
 * @module
 */
import { parse } from "acorn";
import { gzipSync } from "node:zlib";

/** The JavaScript budget of a lesson page before the first interaction, gzip-compressed. */
export const PAGE_BUDGET_GZIP = 400 * 1024;

/** One built page's JavaScript. */
export interface PageSize {
  /** The page's path in `dist/`, e.g. `en/hosts.html`. */
  readonly page: string;
  /** Files loaded before any interaction, relative to `dist/`. */
  readonly files: readonly string[];
  readonly raw: number;
  readonly gzip: number;
  /** Files loaded only on interaction (dynamic imports inside modules), beyond `files`. */
  readonly later: readonly string[];
  readonly laterGzip: number;
}

interface Refs {
  /** Loaded with the module: static imports and `import.meta.resolve` targets. */
  readonly now: string[];
  /** Loaded when the code runs `import()`. */
  readonly later: string[];
}

const isLocal = (spec: string) => /^(\.{1,2}\/|\/)/.test(spec);

/** The scripts a module refers to, by what it does with them. */
export function moduleRefs(source: string): Refs {
  const now: string[] = [];
  const later: string[] = [];
  let ast;
  try {
    ast = parse(source, { ecmaVersion: "latest", sourceType: "module" });
  } catch {
    return { now, later };
  }
  const literal = (node: unknown): string | undefined => {
    const n = node as { type?: string; value?: unknown } | null;
    return n?.type === "Literal" && typeof n.value === "string" ? n.value : undefined;
  };
  const add = (list: string[], spec: string | undefined) => {
    if (spec !== undefined && isLocal(spec)) list.push(spec);
  };
  // Every node of the tree, without recursion (a minified bundle nests deep).
  const stack: unknown[] = [ast];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown> & { type?: string };
    if (node.type === "ImportDeclaration" || node.type === "ExportAllDeclaration") {
      add(now, literal(node.source));
    } else if (node.type === "ExportNamedDeclaration") add(now, literal(node.source));
    else if (node.type === "ImportExpression") add(later, literal(node.source));
    else if (node.type === "CallExpression") {
      const c = node.callee as {
        type: string;
        object?: { type: string };
        property?: { name?: string };
      };
      if (
        c.type === "MemberExpression" && c.object?.type === "MetaProperty" &&
        c.property?.name === "resolve"
      ) add(now, literal((node.arguments as unknown[])[0]));
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) {
        for (const v of value) if (v && typeof v === "object") stack.push(v);
      } else if (value && typeof value === "object" && "type" in value) stack.push(value);
    }
  }
  return { now, later };
}

/** What a page's HTML loads: preloads, module scripts, and the imports of its inline module script. */
export function htmlRefs(html: string): string[] {
  const refs: string[] = [];
  for (const m of html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)) {
    refs.push(m[1]);
  }
  for (const m of html.matchAll(/<script\b[^>]*type="module"[^>]*src="([^"]+)"/g)) refs.push(m[1]);
  for (const m of html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)) {
    const { now, later } = moduleRefs(m[1]);
    // The page's own script runs at load: its dynamic imports define the page's cells.
    refs.push(...now, ...later);
  }
  return refs.filter(isLocal);
}

function resolve(from: string, spec: string): string {
  const url = new URL(spec, `file:///${from}`);
  return decodeURIComponent(url.pathname.slice(1));
}

function walk(dir: string, base = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${dir}/${base}`)) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...walk(dir, rel));
    else if (e.isFile && e.name.endsWith(".html")) out.push(rel);
  }
  return out.sort();
}

/**
 * The JavaScript of every page in a built site.
 *
 * @param dist The build output folder.
 * @returns One entry per HTML page, sorted by path.
 */
export function pageSizes(dist: string): PageSize[] {
  const sizes = new Map<string, { raw: number; gzip: number; refs: Refs }>();
  const read = (file: string) => {
    let known = sizes.get(file);
    if (!known) {
      let bytes: Uint8Array;
      try {
        bytes = Deno.readFileSync(`${dist}/${file}`);
      } catch {
        bytes = new Uint8Array();
      }
      const refs = moduleRefs(new TextDecoder().decode(bytes));
      known = {
        raw: bytes.length,
        gzip: gzipSync(bytes).length,
        refs: {
          now: refs.now.map((s) => resolve(file, s)),
          later: refs.later.map((s) => resolve(file, s)),
        },
      };
      sizes.set(file, known);
    }
    return known;
  };
  const closure = (roots: string[], seen: Set<string>, deferred: string[]) => {
    const queue = roots.filter((r) => !seen.has(r));
    for (const r of queue) seen.add(r);
    while (queue.length > 0) {
      const file = queue.pop()!;
      const { refs } = read(file);
      deferred.push(...refs.later);
      for (const next of refs.now) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
  };
  return walk(dist).map((page) => {
    const html = Deno.readTextFileSync(`${dist}/${page}`);
    const first = new Set<string>();
    const deferred: string[] = [];
    closure(htmlRefs(html).map((s) => resolve(page, s)), first, deferred);
    const later = new Set<string>(first);
    closure(deferred, later, []);
    // Framework's runtime names libraries it could import from a CDN; only files here count.
    const built = (f: string) => f.endsWith(".js") && read(f).raw > 0;
    const files = [...first].filter(built).sort();
    const afterwards = [...later].filter((f) => !first.has(f) && built(f)).sort();
    const total = (fs: string[], key: "raw" | "gzip") => fs.reduce((a, f) => a + read(f)[key], 0);
    return {
      page,
      files,
      raw: total(files, "raw"),
      gzip: total(files, "gzip"),
      later: afterwards,
      laterGzip: total(afterwards, "gzip"),
    };
  });
}

const kB = (n: number) => `${(n / 1024).toFixed(0)} kB`;

/**
 * The table `deno task build` prints: per page, the JavaScript loaded before
 * any interaction (files, raw, gzip) and what the editor adds on interaction.
 *
 * @param sizes From {@linkcode pageSizes}.
 * @returns Text lines.
 */
export function sizeReport(sizes: readonly PageSize[]): string {
  const rows = sizes.map((s) => [
    s.page,
    String(s.files.length),
    kB(s.raw),
    kB(s.gzip),
    s.gzip > PAGE_BUDGET_GZIP ? "OVER" : "ok",
    s.later.length ? `+${kB(s.laterGzip)}` : "",
  ]);
  const head = [
    "page",
    "JS files",
    "raw",
    "gzip",
    `≤ ${kB(PAGE_BUDGET_GZIP)} gzip`,
    "on interaction",
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    "JavaScript per page before the first interaction (gzip: node:zlib, level 6)",
    line(head),
    ...rows.map(line),
  ].join("\n");
}
