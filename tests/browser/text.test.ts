/**
 * Browser tests of the text every built page renders, in both languages:
 * no Markdown left unparsed (`**`, `__`, `_word_` in the prose a reader
 * sees — a Korean particle after a closing marker is the usual cause), and
 * no Hangul drawn without a Korean font (the boxes a reader would see as
 * "tofu"). The font check asks Chromium which platform fonts drew each
 * element holding Hangul (DevTools `CSS.getPlatformFontsForNode`) and
 * requires one that fontconfig says covers Korean.
 *
 * Run alone with `deno run -A tests/browser/text.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import { browserSkipReason, buildSite, builtPages } from "./harness.ts";
import { Site } from "./cells.ts";

const site = new Site();
test.after(() => site.close());

/** Opens a built page and waits until each notebook cell on it (if it has any) has run. */
async function openPage(path: string) {
  const p = await site.open(path.slice(1), { settled: false });
  await p.page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLElement>(".pn-cell")].every((c) =>
        Number(c.dataset.runs ?? 0) >= 1 && c.dataset.state !== "running"
      ),
    null,
    { timeout: 60_000 },
  );
  return p;
}

/** Font families that cover Korean, as fontconfig (which Chromium uses on Linux) lists them. */
async function koreanFamilies(): Promise<Set<string>> {
  const out = await new Deno.Command("fc-list", { args: [":lang=ko", "family"], stdout: "piped" })
    .output().catch(() => undefined);
  const text = out?.success ? new TextDecoder().decode(out.stdout) : "";
  return new Set(text.split(/[\n,]/).map((f) => f.trim()).filter(Boolean));
}

/** Literal Markdown markers in the prose a reader sees (code, editors and inputs excluded). */
function literalMarkdown(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const skip = "code, pre, textarea, input, script, style, .cm-editor, .pn-cell-code, svg";
    const found: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const parent = n.parentElement;
      if (!parent || parent.closest(skip)) continue;
      const text = n.textContent ?? "";
      const bad =
        /\*\*|__|(?<![\p{L}\p{N}_])_[^\s_][^_]*_(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])_[^\s_]+_(?=[\uac00-\ud7a3])/u
          .exec(text);
      if (bad) {
        const at = Math.max(0, bad.index - 30);
        found.push(`${text.slice(at, bad.index + 40).replace(/\s+/g, " ")}`);
      }
    }
    return found;
  });
}

/** Each element whose own text has Hangul, and the platform fonts Chromium drew it with. */
async function hangulFonts(page: Page): Promise<{ text: string; fonts: string[] }[]> {
  const count = await page.evaluate(() => {
    let i = 0;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !/[\uac00-\ud7a3]/.test(n.textContent ?? "")) continue;
      if (el.hasAttribute("data-hangul") || el.getClientRects().length === 0) continue;
      el.setAttribute("data-hangul", String(i++));
    }
    return i;
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("DOM.enable");
  await cdp.send("CSS.enable");
  const { root } = await cdp.send("DOM.getDocument", { depth: -1 });
  const { nodeIds } = await cdp.send("DOM.querySelectorAll", {
    nodeId: root.nodeId,
    selector: "[data-hangul]",
  });
  const out: { text: string; fonts: string[] }[] = [];
  for (const nodeId of nodeIds) {
    const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
    const { outerHTML } = await cdp.send("DOM.getOuterHTML", { nodeId });
    out.push({ text: outerHTML.slice(0, 120), fonts: fonts.map((f) => f.familyName) });
  }
  await cdp.detach();
  assert.is(out.length, count, "every marked element was read");
  return out;
}

const skip = browserSkipReason();
if (skip) {
  test(`text: SKIPPED (${skip})`, () => {
    if (Deno.env.get("CI")) assert.unreachable(`browser tests may not skip in CI: ${skip}`);
  });
} else {
  test("text: no page shows literal Markdown (**, __, _word_) in its prose", async () => {
    const pages = await builtPages(await buildSite());
    assert.ok(pages.length >= 15, `all pages built (${pages.join(", ")})`);
    const found: string[] = [];
    for (const path of pages) {
      await using p = await openPage(path);
      for (const f of await literalMarkdown(p.page)) found.push(`${path}: …${f}…`);
    }
    assert.equal(found, [], "literal Markdown in rendered pages");
  });

  test("text: every Hangul on the Korean pages is drawn with a Korean font, never as boxes", async () => {
    const korean = await koreanFamilies();
    assert.ok(
      korean.size > 0,
      "fontconfig lists no Korean font: Hangul would render as boxes (apt-get install fonts-nanum)",
    );
    const pages = (await builtPages(await buildSite())).filter((p) => p.startsWith("/ko/"));
    assert.ok(pages.length >= 7, `Korean pages built (${pages.join(", ")})`);
    for (const path of pages) {
      await using p = await openPage(path);
      const nodes = await hangulFonts(p.page);
      const drawn = nodes.filter((n) => n.fonts.length > 0).length;
      assert.ok(drawn > 20, `${path}: Hangul drawn (${drawn} of ${nodes.length} elements)`);
      // An element Chromium did not draw (in a closed popover, say) lists no font at all.
      const tofu = nodes.filter((n) => n.fonts.length > 0 && !n.fonts.some((f) => korean.has(f)));
      assert.equal(tofu.slice(0, 5), [], `${path}: Hangul drawn without a Korean font`);
    }
  });
}

test.run();
