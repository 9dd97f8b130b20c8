// @ts-check
/**
 * The course map: one table that the Framework config (sidebar, pager) and
 * the pages (language switch, course map, next/previous links) all read.
 *
 * Plain JavaScript so that both Deno (loading observablehq.config.ts) and
 * the browser (through Framework) can import it unchanged.
 *
 * To add a lesson: write `lessons/en/<slug>.md` and `lessons/ko/<slug>.md`
 * for a slug listed in {@link PAGES}, and put the language switch near the
 * top of each (`${languageSwitch("/en/<slug>")}`, see lang.js). The sidebar
 * and Framework's previous/next links pick the pages up by themselves: the
 * config lists only the files that exist, because Framework fails the build
 * on a listed page that does not.
 *
 * @module
 */

/** The course languages, in the order the sidebar lists them. */
export const LANGS = /** @type {const} */ (["en", "ko"]);

/** What each language calls itself, for links and section headings. */
export const LANG_NAMES = { en: "English", ko: "한국어" };

/**
 * The lessons in course order. `slug` is the file name without `.md`; the
 * same file name exists under `lessons/en/` and `lessons/ko/`.
 */
export const PAGES = [
  { slug: "index", en: "Overview", ko: "개요" },
  { slug: "pod-stack", en: "The pod's network stack", ko: "파드의 네트워크 스택" },
  { slug: "pause", en: "The pause container", ko: "pause 컨테이너" },
  { slug: "hosts", en: "Pods on different hosts", ko: "서로 다른 호스트의 파드" },
  {
    slug: "flat-overlay",
    en: "Flat networking without NAT, and overlays",
    ko: "NAT 없는 평평한 네트워크와 오버레이",
  },
  { slug: "summary", en: "Summary and playground", ko: "정리와 실험장" },
  { slug: "scale", en: "Verification at cluster scale", ko: "클러스터 규모의 검증" },
  { slug: "debug", en: "Debug your own cluster", ko: "내 클러스터 디버깅하기" },
  { slug: "services", en: "Services", ko: "서비스" },
];

/**
 * The site path of a lesson in one language, as Framework links it.
 *
 * @param {"en" | "ko"} lang The language.
 * @param {string} slug A slug from {@link PAGES}.
 * @returns {string} For example `/en/` for the overview, `/ko/pause` for a lesson.
 * @example
 * ```js
 * pagePath("ko", "pause"); // "/ko/pause"
 * ```
 */
export function pagePath(lang, slug) {
  return slug === "index" ? `/${lang}/` : `/${lang}/${slug}`;
}

/**
 * The numbered title of a lesson ("2. The pause container").
 *
 * @param {"en" | "ko"} lang The language.
 * @param {string} slug A slug from {@link PAGES}.
 * @returns {string} The title, or the slug itself when the table does not list it.
 */
export function pageTitle(lang, slug) {
  const i = PAGES.findIndex((p) => p.slug === slug);
  return i < 0 ? slug : `${i}. ${PAGES[i][lang]}`;
}

/**
 * Splits a site path into language and slug.
 *
 * @param {string} path A site path such as `/ko/pause`, `/en/`, `/en/index` or `/`.
 * @returns {{lang: "en" | "ko", slug: string} | null} Null for a path outside both languages.
 * @example
 * ```js
 * parsePath("/ko/pause"); // {lang: "ko", slug: "pause"}
 * parsePath("/"); // null
 * ```
 */
export function parsePath(path) {
  const m = /^\/?(en|ko)(?:\/([^/?#]*))?/.exec(path);
  if (!m) return null;
  const slug = (m[2] ?? "").replace(/\.html$/, "") || "index";
  return { lang: /** @type {"en" | "ko"} */ (m[1]), slug };
}

/**
 * The lessons before and after a page, in the same language.
 *
 * @param {string} path A site path such as `/en/pause`.
 * @returns {{prev: {path: string, title: string} | null, next: {path: string, title: string} | null}}
 */
export function neighbours(path) {
  const at = parsePath(path);
  const i = at ? PAGES.findIndex((p) => p.slug === at.slug) : -1;
  if (!at || i < 0) return { prev: null, next: null };
  const link = (/** @type {number} */ j) =>
    j < 0 || j >= PAGES.length
      ? null
      : { path: pagePath(at.lang, PAGES[j].slug), title: pageTitle(at.lang, PAGES[j].slug) };
  return { prev: link(i - 1), next: link(i + 1) };
}

/**
 * The sidebar and pager configuration for Framework: one section per
 * language, each with its own pager so that "next" never crosses languages.
 *
 * @param {(lang: "en" | "ko", slug: string) => boolean} [exists] Keeps only the
 *   pages for which this returns true (default: all).
 * @returns {Array<{name: string, pager: string, pages: Array<{name: string, path: string}>}>}
 */
export function frameworkPages(exists = () => true) {
  return LANGS.map((lang) => ({
    name: LANG_NAMES[lang],
    pager: lang,
    pages: PAGES.filter((p) => exists(lang, p.slug)).map((p) => ({
      name: pageTitle(lang, p.slug),
      path: pagePath(lang, p.slug),
    })),
  }));
}
