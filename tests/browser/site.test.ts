/**
 * Browser tests for the built site: every page in both languages loads from
 * 127.0.0.1 alone, without console or page errors, links to its counterpart
 * in the other language, fits a phone screen, and renders in dark mode.
 * Screenshots go to artifacts/screenshots/.
 *
 * Run alone with `deno run -A tests/browser/site.test.ts`, or inside the
 * project's single uvu run (tests/run.ts). The build and URL scan need no
 * browser; the rest is skipped with a reason when Chromium is missing.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  browserSkipReason,
  buildSite,
  builtPages,
  DIST_DIR,
  findExternalUrls,
  launchBrowser,
  openPage,
  serveDist,
} from "./harness.ts";
import type { BrowserHandle, StaticServer } from "./harness.ts";
import { pagePath, PAGES, parsePath } from "../../lessons/components/pages.js";
import { skipSuite } from "../support/skip.ts";

const PHONE = { width: 390, height: 844 };

let server: StaticServer | undefined;
let chrome: BrowserHandle | undefined;

/** The built site, served; built and started on first use. */
async function site(): Promise<{ dist: string; url: string; pages: string[] }> {
  const dist = await buildSite();
  server ??= serveDist(dist);
  return { dist, url: server.url, pages: await builtPages(dist) };
}

async function browser(): Promise<BrowserHandle> {
  chrome ??= await launchBrowser();
  return chrome;
}

/** `/` → `index`, `/en/` → `en-index`, `/ko/pause` → `ko-pause`. */
function shotName(path: string): string {
  const p = path.endsWith("/") ? `${path}index` : path;
  return p.slice(1).replaceAll("/", "-");
}

/** The same page in the other language, or null outside `/en/` and `/ko/`. */
function counterpart(path: string): string | null {
  const at = parsePath(path);
  return at ? pagePath(at.lang === "en" ? "ko" : "en", at.slug) : null;
}

test.after(async () => {
  await server?.close();
  await chrome?.close();
  server = undefined;
  chrome = undefined;
});

test("site: builds the landing page and both languages, page for page", async () => {
  const { pages } = await site();
  assert.ok(pages.includes("/"), `no landing page in ${pages.join(", ")}`);
  assert.ok(pages.includes("/en/"), "no /en/ overview");
  assert.ok(pages.includes("/ko/"), "no /ko/ overview");
  for (const path of pages) {
    const other = counterpart(path);
    if (other === null) continue;
    assert.ok(pages.includes(other), `${path} is built but its counterpart ${other} is not`);
    const slug = parsePath(path)?.slug;
    assert.ok(
      PAGES.some((p) => p.slug === slug),
      `${path} is not in lessons/components/pages.js`,
    );
  }
});

test("site: the front page offers the node collector for download, byte for byte", async () => {
  const { dist } = await site();
  const html = Deno.readTextFileSync(`${dist}/index.html`);
  const links = [
    ...html.matchAll(/href="\.\/([^"]*collector[^"]*\.sh)" download="collector\.sh"/g),
  ];
  assert.is(links.length, 2, "one download link in each language");
  const served = Deno.readTextFileSync(`${dist}/${links[0][1]}`);
  assert.is(served, Deno.readTextFileSync("src/import/collector.sh"));
});

test("site: built HTML, JS and CSS name no other host", async () => {
  const { dist } = await site();
  const found = await findExternalUrls(dist);
  assert.equal(found.map(({ file, url }) => `${file}: ${url}`), []);
});

const skip = browserSkipReason();
if (skip) {
  skipSuite("browser: site", skip);
} else {
  test("site: every page loads offline with no error", async () => {
    const { url, pages } = await site();
    const problems: string[] = [];
    for (const path of pages) {
      await using p = await openPage(await browser(), new URL(path.slice(1), url).href);
      for (const e of p.errors) problems.push(`${path}: ${e}`);
      for (const r of p.externalRequests) problems.push(`${path}: external request ${r}`);
      for (const h of p.httpErrors) problems.push(`${path}: ${h}`);
      const title = await p.page.title();
      if (!title.includes("podnet")) problems.push(`${path}: title "${title}" lacks "podnet"`);
      await p.screenshot(shotName(path));
    }
    assert.equal(problems, []);
  });

  test("site: the language switch links to the same page in the other language", async () => {
    const { url, pages } = await site();
    const problems: string[] = [];
    for (const path of pages) {
      const other = counterpart(path);
      if (other === null) continue;
      await using p = await openPage(await browser(), new URL(path.slice(1), url).href);
      const links = p.page.locator("nav.podnet-lang a");
      const count = await links.count();
      if (count !== 1) {
        problems.push(`${path}: ${count} language links (want 1)`);
        continue;
      }
      const href = await links.evaluate((a) => (a as HTMLAnchorElement).href);
      const want = new URL(other.slice(1), url).href;
      if (href !== want) problems.push(`${path}: links to ${href}, want ${want}`);
      const lang = await links.getAttribute("hreflang");
      if (lang !== parsePath(other)?.lang) problems.push(`${path}: hreflang ${lang}`);
      await links.click();
      await p.page.waitForURL(want);
      const html = await p.page.evaluate(() => document.documentElement.lang);
      if (html !== parsePath(other)?.lang) problems.push(`${other}: <html lang="${html}">`);
    }
    assert.equal(problems, []);
  });

  test("site: links inside the site lead to built pages", async () => {
    const { url, pages } = await site();
    const problems: string[] = [];
    const pending = new Set<string>();
    for (const path of pages) {
      await using p = await openPage(await browser(), new URL(path.slice(1), url).href);
      const hrefs = await p.page.$$eval(
        "a[href]",
        (as) => as.map((a) => (a as HTMLAnchorElement).href),
      );
      for (const href of hrefs) {
        const target = new URL(href);
        if (target.origin !== new URL(url).origin) continue;
        const to = target.pathname.replace(/\.html$/, "").replace(/\/index$/, "/");
        if (pages.includes(to)) continue;
        // A file the build copied (the collector the front page offers for download).
        if (to.startsWith("/_file/") && existsSync(`${DIST_DIR}${decodeURI(to)}`)) continue;
        // A lesson in the course table that nobody has written yet.
        const at = parsePath(to);
        if (at && PAGES.some((page) => page.slug === at.slug)) pending.add(to);
        else problems.push(`${path}: broken link to ${to}`);
      }
    }
    if (pending.size) {
      console.log(`  note: course map links to lessons not written yet: ${[...pending].join(" ")}`);
    }
    assert.equal(problems, []);
  });

  test("site: every page fits a 390px-wide phone screen", async () => {
    const { url, pages } = await site();
    const problems: string[] = [];
    for (const path of pages) {
      await using p = await openPage(await browser(), new URL(path.slice(1), url).href, {
        viewport: PHONE,
      });
      const width = await p.page.evaluate(() => document.documentElement.scrollWidth);
      if (width > PHONE.width) {
        problems.push(`${path}: ${width}px wide on a ${PHONE.width}px screen`);
      }
      await p.screenshot(`${shotName(path)}.phone`);
    }
    assert.equal(problems, []);
  });

  test("site: every page follows a dark colour scheme", async () => {
    const { url, pages } = await site();
    const problems: string[] = [];
    for (const path of pages) {
      await using p = await openPage(await browser(), new URL(path.slice(1), url).href, {
        colorScheme: "dark",
        viewport: PHONE,
      });
      const [bg, fg] = await p.page.evaluate(() => {
        // The theme paints <html>; <body> may stay transparent.
        const paint = (e: Element) => getComputedStyle(e).backgroundColor;
        const body = paint(document.body);
        const transparent = body === "transparent" || /,\s*0\)$/.test(body);
        return [
          transparent ? paint(document.documentElement) : body,
          getComputedStyle(document.querySelector("main") ?? document.body).color,
        ];
      });
      if (luminance(bg) > 0.2) problems.push(`${path}: background ${bg} is not dark`);
      if (luminance(fg) < 0.5) problems.push(`${path}: text ${fg} is not light`);
      await p.screenshot(`${shotName(path)}.dark`);
    }
    assert.equal(problems, []);
  });
}

/** Relative luminance (0 black … 1 white) of a computed CSS colour: `rgb()`, `rgba()` or `color(srgb …)`. */
function luminance(css: string): number {
  const rgb = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(css);
  const srgb = /color\(srgb\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(css);
  const channels = rgb
    ? [rgb[1], rgb[2], rgb[3]].map((v) => Number(v) / 255)
    : srgb
    ? [srgb[1], srgb[2], srgb[3]].map(Number)
    : null;
  if (!channels) throw new Error(`Cannot read colour ${css}`);
  const [r, g, b] = channels.map((c) => c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// uvu collects tests only when a suite's run() is called: with UVU_DEFER set
// (uvu's CLI, tests/run.ts) run() just queues them under UVU_INDEX for the
// runner's single exec(); without it (running this file alone) run() queues
// them and schedules exec() itself. So run() belongs here in both cases.
test.run();
