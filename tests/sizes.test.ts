/**
 * The build's JavaScript report reads what a page loads the way a browser
 * does: static imports, re-exports and `import.meta.resolve` targets load
 * with a module; a dynamic `import()` inside a module waits for the code
 * that runs it (the editor, on focus); the page's own inline script runs at
 * load, so its dynamic imports count.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { htmlRefs, moduleRefs, pageSizes } from "../tools/sizes.ts";

test("sizes: a module's references are split into loaded-with-it and loaded-on-demand", () => {
  const source = [
    'import { a } from "./a.js";',
    'import "./side.js";',
    'export { b } from "../b.js";',
    'export * from "./c.js";',
    'import { x } from "npm:bare";',
    'const w = new Worker(import.meta.resolve("./worker.js"));',
    'fetch(import.meta.resolve("../sandbox/bundle.js"));',
    'button.onclick = () => import("./editor.js");',
    'const s = "import(\\"./not-code.js\\")";',
  ].join("\n");
  const refs = moduleRefs(source);
  assert.equal(refs.now.sort(), [
    "../b.js",
    "../sandbox/bundle.js",
    "./a.js",
    "./c.js",
    "./side.js",
    "./worker.js",
  ]);
  assert.equal(refs.later, ["./editor.js"]);
  assert.equal(moduleRefs("this is not JavaScript {"), { now: [], later: [] });
});

test("sizes: a page loads its preloads, module scripts and its inline script's imports", () => {
  const html = `<link rel="modulepreload" href="./_observablehq/client.js">
<script type="module" src="./app.js"></script>
<script type="module">
import {define} from "./_observablehq/client.js";
define({body: async () => { const {x} = await import("./_import/components/x.js"); }});
</script>`;
  assert.equal(htmlRefs(html).sort(), [
    "./_import/components/x.js",
    "./_observablehq/client.js",
    "./_observablehq/client.js",
    "./app.js",
  ]);
});

test("sizes: a built folder's pages add up their closures, counting later loads apart", () => {
  const dir = Deno.makeTempDirSync({ prefix: "podnet-sizes-" });
  try {
    Deno.mkdirSync(`${dir}/en`);
    Deno.writeTextFileSync(
      `${dir}/en/page.html`,
      '<link rel="modulepreload" href="../main.js"><script type="module">import("../cells.js")</script>',
    );
    Deno.writeTextFileSync(`${dir}/main.js`, 'import "./dep.js";\nexport const m = 1;');
    Deno.writeTextFileSync(`${dir}/dep.js`, "export const d = 2;".repeat(50));
    Deno.writeTextFileSync(
      `${dir}/cells.js`,
      'fetch(import.meta.resolve("./bundle.js")); onfocus = () => import("./editor.js");',
    );
    Deno.writeTextFileSync(`${dir}/bundle.js`, "self.x = 1;");
    Deno.writeTextFileSync(`${dir}/editor.js`, 'import "./dep.js"; import "./cm.js";');
    Deno.writeTextFileSync(`${dir}/cm.js`, "export const cm = 1;");
    const [page] = pageSizes(dir);
    assert.is(page.page, "en/page.html");
    assert.equal(page.files, ["bundle.js", "cells.js", "dep.js", "main.js"]);
    assert.equal(page.later, ["cm.js", "editor.js"], "dep.js is loaded already");
    const raw = ["bundle.js", "cells.js", "dep.js", "main.js"]
      .reduce((n, f) => n + Deno.statSync(`${dir}/${f}`).size, 0);
    assert.is(page.raw, raw);
    assert.ok(page.gzip > 0 && page.gzip < raw, "dep.js compresses");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

test.run();
