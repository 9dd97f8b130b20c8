/**
 * The glossary (docs/glossary.md) is the one list of Korean terms: no word
 * in its "not" column appears in the Korean pages, the lesson components or
 * the kernel's source (where its Korean messages live). Also reads the
 * table itself: every row names an English term and a Korean one.
 *
 * Run alone with `deno run -A tests/glossary.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";

interface Row {
  readonly en: string;
  readonly ko: string;
  readonly not: readonly string[];
}

function rows(): Row[] {
  const text = Deno.readTextFileSync("docs/glossary.md");
  return text.split("\n")
    .filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l) && !/^\|\s*English/.test(l))
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()))
    .map(([en, ko, not]) => ({
      en,
      ko,
      not: not ? not.split(",").map((w) => w.trim()).filter(Boolean) : [],
    }));
}

function files(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...files(path, ext));
    else if (ext.test(e.name)) out.push(path);
  }
  return out;
}

test("glossary: every row has an English and a Korean term", () => {
  const all = rows();
  assert.ok(all.length >= 20, `${all.length} terms`);
  for (const r of all) {
    assert.ok(r.en && /[\uac00-\ud7a3A-Z]/.test(r.ko), `row ${JSON.stringify(r)}`);
  }
});

test("glossary: no page, component or kernel message uses a word the glossary rules out", () => {
  const avoid = rows().flatMap((r) => r.not.map((w) => ({ w, use: r.ko })));
  assert.ok(avoid.length >= 8, "the glossary rules words out");
  const places = [
    ...files("lessons/ko", /\.md$/),
    ...files("lessons/components", /\.(ts|js)$/),
    ...files("src", /\.ts$/),
  ];
  const found: string[] = [];
  for (const path of places) {
    const lines = Deno.readTextFileSync(path).split("\n");
    lines.forEach((line, i) => {
      for (const { w, use } of avoid) {
        if (line.includes(w)) found.push(`${path}:${i + 1}: "${w}" (say "${use}")`);
      }
    });
  }
  assert.equal(found, [], "words the glossary rules out");
});

test.run();
