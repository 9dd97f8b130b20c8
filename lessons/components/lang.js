// @ts-check
/**
 * The language switch: every lesson exists in English (`/en/…`) and Korean
 * (`/ko/…`) under the same file name, so the counterpart of a page is the
 * same path with the other language prefix.
 *
 * @module
 */
import { html } from "htl";
import { relativeHref } from "./nav.js";
import { LANG_NAMES, pagePath, parsePath } from "./pages.js";

/**
 * The language of a site path; anything outside `/ko/` counts as English.
 *
 * @param {string} path A site path such as `/ko/pause`; `location.pathname` works too.
 * @returns {"en" | "ko"} The language.
 * @example
 * ```js
 * langOf("/ko/pause"); // "ko"
 * langOf("/"); // "en"
 * ```
 */
export function langOf(path) {
  return parsePath(path)?.lang ?? "en";
}

/**
 * The path of the same page in the other language.
 *
 * @param {string} path A site path such as `/en/pause`.
 * @returns {string} For example `/ko/pause`; the landing page `/` maps to `/ko/`.
 */
export function counterpartPath(path) {
  const at = parsePath(path);
  const other = (at?.lang ?? "en") === "en" ? "ko" : "en";
  return pagePath(other, at?.slug ?? "index");
}

/**
 * A link to the same page in the other language.
 *
 * Pass the page's own path (for example `"/en/pause"`); the link is written
 * relative to it, so the site works under any base path.
 *
 * @param {string} path The site path of the current page.
 * @returns {HTMLElement} A `<nav class="podnet-lang">` holding one link.
 * @example
 * ```js
 * display(languageSwitch("/en/pause")); // → link "한국어" to ../ko/pause
 * ```
 */
export function languageSwitch(path) {
  const to = counterpartPath(path);
  const other = langOf(to);
  const label = other === "ko" ? "이 페이지를 한국어로" : "Read this page in English";
  return html`
    <nav class="podnet-lang" aria-label=${label}>
      <a href=${relativeHref(
        path,
        to,
      )} hreflang=${other} lang=${other} data-lang=${other}>${LANG_NAMES[other]}</a>
    </nav>
  `;
}
