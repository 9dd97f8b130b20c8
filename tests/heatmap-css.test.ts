/**
 * The heatmap's stylesheet (lessons/components/heatmap.css) colours every
 * cause the verifier can report, in the light and the dark scheme: a cause
 * added to `CAUSES` without its colour would draw as an unstyled cell.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CAUSES } from "../src/verify/cells.ts";

const css = Deno.readTextFileSync(new URL("../lessons/components/heatmap.css", import.meta.url));
const dark = css.slice(css.indexOf("@media (prefers-color-scheme: dark)"));

test("heatmap css: every cause has a light and a dark colour, a cell rule and a legend swatch", () => {
  for (const c of [...CAUSES, "ok"]) {
    const colour = new RegExp(`--pn-hm-${c}:\\s*#[0-9a-f]{6}`);
    assert.match(css.slice(0, css.indexOf("@media")), colour, `light colour for ${c}`);
    assert.match(dark, colour, `dark colour for ${c}`);
    assert.ok(css.includes(`.pn-hm-swatch.pn-hm-${c}`), `legend swatch for ${c}`);
    assert.ok(css.includes(`rect.pn-hm-${c}`), `cell rule for ${c}`);
  }
});

test.run();
