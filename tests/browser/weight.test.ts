/**
 * What a lesson page weighs before the reader does anything: at most
 * {@linkcode PAGE_BUDGET_GZIP} of JavaScript, gzip-compressed, on every
 * lesson page in both languages, as `deno task build` reports it; the
 * report counts everything a browser loads before the first interaction;
 * CodeMirror loads only when a reader focuses a cell; and the cells' workers
 * share one copy of the kernel's code, fetched once per page however often
 * cells run.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { browserSkipReason, buildSite, DIST_DIR } from "./harness.ts";
import { openEditor, run, setCode, Site } from "./cells.ts";
import { PAGE_BUDGET_GZIP, pageSizes } from "../../tools/sizes.ts";
import { skipSuite } from "../support/skip.ts";

const skip = browserSkipReason();
const site = new Site();

test.after(() => site.close());

const LESSONS = /^(en|ko)\/[a-z-]+\.html$/;

if (skip) {
  skipSuite("browser: weight", skip);
} else {
  test("weight: every lesson page loads at most 400 kB of JavaScript (gzip) before the first interaction", async () => {
    await buildSite();
    const lessons = pageSizes(DIST_DIR).filter((s) => LESSONS.test(s.page));
    assert.ok(lessons.length >= 14, `${lessons.length} lesson pages`);
    for (const s of lessons) {
      assert.ok(
        s.gzip <= PAGE_BUDGET_GZIP,
        `${s.page}: ${(s.gzip / 1024).toFixed(0)} kB gzip of JavaScript before any interaction`,
      );
      // the debug page reads the reader's files and has no cells
      assert.ok(
        /\/debug(\.html)?$/.test(s.page) || s.files.some((f) => f.includes("sandbox/cell-worker")),
        `${s.page}: the cells' worker bundle is counted`,
      );
      assert.not.ok(
        s.files.some((f) => f.includes("codemirror")),
        `${s.page}: CodeMirror is not loaded before a cell is focused`,
      );
    }
  });

  test("weight: the browser loads only what the report counts, CodeMirror on focus, and the kernel's bundle once", async () => {
    const url = await site.url("en/hosts");
    await using p = await site.open("en/hosts", { settled: false });
    const loaded: string[] = [];
    p.page.on("request", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.endsWith(".js")) loaded.push(path);
    });
    // Load again with the listener in place, from a cold cache.
    const cdp = await p.context.newCDPSession(p.page);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await p.page.goto(url, { waitUntil: "networkidle" });
    await p.page.waitForSelector('[data-testid="cell-lost-route"][data-state="ok"]', {
      timeout: 30_000,
    });
    const report = pageSizes(DIST_DIR).find((s) => s.page === "en/hosts.html")!;
    const counted = new Set(report.files.map((f) => `/${f}`));
    const before = [...new Set(loaded)];
    assert.equal(before.filter((f) => !counted.has(f)), [], "loaded but not counted");
    assert.not.ok(before.some((f) => f.includes("codemirror")), "CodeMirror before a focus");
    await openEditor(p.page, "lost-route");
    assert.ok(loaded.some((f) => f.includes("@codemirror/view")), "CodeMirror on focus");
    for (let i = 0; i < 3; i++) {
      await setCode(p.page, "lost-route", `return { world, n: ${i} };`);
      await run(p.page, "lost-route");
    }
    const bundles = loaded.filter((f) => f.includes("sandbox/cell-worker"));
    assert.is(bundles.length, 1, "one fetch of the kernel's bundle for every worker of the page");
  });
}

test.run();
