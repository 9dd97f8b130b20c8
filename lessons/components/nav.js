// @ts-check
/**
 * The course map: the lessons of one language in order, as links relative
 * to the page that shows them.
 *
 * @module
 */
import { html } from "htl";
import { pagePath, PAGES, pageTitle, parsePath } from "./pages.js";

/**
 * An ordered list of the lessons in one language, linked relative to `from`.
 * The entry for `from` itself is marked `aria-current="page"`.
 *
 * @param {"en" | "ko"} lang The language of the lessons to list.
 * @param {string} from The site path of the page that shows the map (`/`, `/en/` …).
 * @returns {HTMLOListElement} An `<ol class="podnet-map">` numbered from 0.
 * @example
 * ```js
 * display(courseMap("en", "/en/"));
 * ```
 */
export function courseMap(lang, from) {
  const here = parsePath(from);
  return html`<ol class="podnet-map" start="0">${
    PAGES.map((p) => {
      const current = here?.lang === lang && here.slug === p.slug;
      return html`<li><a href=${relativeHref(from, pagePath(lang, p.slug))} aria-current=${
        current ? "page" : null
      }>${pageTitle(lang, p.slug).replace(/^\d+\.\s*/, "")}</a></li>`;
    })
  }</ol>`;
}

/**
 * A relative URL from one site path to another, so that links work under
 * any base path (`/en/pause` → `/ko/` gives `../ko/`).
 *
 * @param {string} from The current page's site path.
 * @param {string} to The target site path.
 * @returns {string} A relative URL.
 * @example
 * ```js
 * relativeHref("/en/pause", "/ko/pause"); // "../ko/pause"
 * relativeHref("/", "/en/"); // "./en/"
 * ```
 */
export function relativeHref(from, to) {
  const depth = from.split("/").length - 2;
  return (depth > 0 ? "../".repeat(depth) : "./") + to.slice(1);
}
