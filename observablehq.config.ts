/**
 * Observable Framework configuration for the podnet course.
 *
 * Run it through the deno tasks (`deno task dev`, `deno task build`), which
 * pass `--config observablehq.config.ts`: Deno then loads this file itself
 * instead of Framework's `tsx` loader, which breaks under Deno.
 *
 * Offline by construction: no web font, no vendor link, an inline favicon;
 * pages import their libraries from node_modules (see deno.json "imports").
 *
 * @module
 */
import { existsSync } from "node:fs";
import { frameworkPages, parsePath } from "./lessons/components/pages.js";

const root = "lessons";

/**
 * Framework fails the build on a listed page whose file is missing, so the
 * sidebar lists only the lessons written so far: adding `lessons/en/<slug>.md`
 * and `lessons/ko/<slug>.md` for a slug in pages.js is all it takes.
 */
function exists(lang: string, slug: string): boolean {
  return existsSync(new URL(`./${root}/${lang}/${slug}.md`, import.meta.url));
}

/**
 * Three connected nodes on Kubernetes blue, as an inline SVG favicon (no request).
 * Written without `#` and percent-encoded with encodeURI: Framework rewrites
 * head links with decodeURI + encodeURI, which double-encodes the `%3D`, `%2F`
 * and `%23` that encodeURIComponent would produce.
 */
const FAVICON_SVG = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'>` +
  `<rect width='32' height='32' rx='6' fill='rgb(50,108,229)'/>` +
  `<path d='M9 22 16 9l7 13Z' fill='none' stroke='white' stroke-width='2'/>` +
  `<circle cx='16' cy='9' r='4' fill='white'/><circle cx='9' cy='22' r='4' fill='white'/>` +
  `<circle cx='23' cy='22' r='4' fill='white'/></svg>`;

const FAVICON = `data:image/svg+xml,${encodeURI(FAVICON_SVG)}`;

const FOOTER = {
  en: "podnet — an interactive, offline course on Kubernetes pod networking.",
  ko: "podnet — 쿠버네티스 파드 네트워킹을 배우는 오프라인 대화형 강좌.",
};

export default {
  root,
  title: "podnet",
  pages: frameworkPages(exists),
  theme: ["air", "near-midnight"],
  globalStylesheets: [
    "observablehq:stdlib/inputs.css",
    "/components/podnet.css",
    "/components/notebook.css",
    "/components/heatmap.css",
  ],
  head: ({ path }: { path: string }) => {
    const lang = parsePath(path)?.lang ?? "en";
    // Framework writes a bare <html> and a viewport that forbids zooming; `deno task build` fixes
    // both in the files (tools/site.ts), this script does the same under `deno task dev`.
    const fix = `document.documentElement.lang = "${lang}"; document.querySelector(` +
      `'meta[name="viewport"]')?.setAttribute("content", "width=device-width, initial-scale=1");`;
    // Framework's search box says "Search"; a Korean page says 검색.
    const search = lang === "ko"
      ? `addEventListener("DOMContentLoaded", () => { const i = document.querySelector(` +
        `"#observablehq-search input"); if (i) { i.placeholder = "검색"; i.setAttribute(` +
        `"aria-label", "검색"); } });`
      : `addEventListener("DOMContentLoaded", () => document.querySelector(` +
        `"#observablehq-search input")?.setAttribute("aria-label", "Search"));`;
    return `<link rel="icon" type="image/svg+xml" href="${FAVICON}">\n<script>${fix} ${search}</script>`;
  },
  footer: ({ path }: { path: string }) => {
    const lang = parsePath(path)?.lang;
    return lang ? FOOTER[lang] : `${FOOTER.en}<br>${FOOTER.ko}`;
  },
  toc: true,
  search: true,
  linkify: false,
};
