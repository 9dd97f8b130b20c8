/**
 * Browser test of Framework's offline search, on in observablehq.config.ts:
 * typed into the sidebar's search box, a word from a lesson finds that
 * lesson, in English and in Korean (a Korean word finds the Korean page even
 * when the page glues a particle to it), and the index comes from the site
 * itself (the page requests nothing from another host).
 *
 * Run alone with `deno run -A tests/browser/search.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { browserSkipReason } from "./harness.ts";
import { Site } from "./cells.ts";

const site = new Site();
test.after(() => site.close());

const QUERIES = [
  { lang: "en", query: "masquerade", page: "/en/flat-overlay" },
  { lang: "en", query: "pause container", page: "/en/pause" },
  { lang: "ko", query: "마스커레이드", page: "/ko/flat-overlay" },
  { lang: "ko", query: "샌드박스", page: "/ko/pause" },
  { lang: "en", query: "ClusterIP", page: "/en/services" },
  { lang: "ko", query: "헤어핀", page: "/ko/services" },
] as const;

const skip = browserSkipReason();
if (skip) {
  test(`search: SKIPPED (${skip})`, () => {
    if (Deno.env.get("CI")) assert.unreachable(`browser tests may not skip in CI: ${skip}`);
  });
} else {
  test("search: lesson text is found offline, in English and Korean", async () => {
    for (const { lang, query, page } of QUERIES) {
      await using p = await site.open(`${lang}/`);
      const input = p.page.locator("#observablehq-search input");
      if (lang === "ko") assert.is(await input.getAttribute("placeholder"), "검색");
      await input.fill(query);
      const results = p.page.locator("#observablehq-search-results a");
      await results.first().waitFor({ timeout: 15_000 });
      const hrefs = await results.evaluateAll((as) =>
        as.map((a) => new URL((a as HTMLAnchorElement).href).pathname.replace(/\.html$/, ""))
      );
      assert.ok(hrefs.includes(page), `"${query}" finds ${page} (${hrefs.join(", ")})`);
      assert.equal(p.externalRequests, [], "the search asks no other host");
      assert.equal(p.errors, [], query);
    }
  });
}

test.run();
