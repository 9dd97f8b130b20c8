/**
 * Browser tests of the predict-then-see questions on every lesson, in both
 * languages: at least two per page; nothing is revealed before the learner
 * commits; the page's verdict on a choice is the kernel's (computed here
 * from the same worlds); answers survive a reload; the sidebar counts them.
 *
 * Run alone with `deno run -A tests/browser/predict.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { browserSkipReason, settle } from "./harness.ts";
import { Site } from "./cells.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import type { World } from "../../lessons/kernel/mod.js";
import * as q from "../../lessons/components/questions.ts";
import { CLUSTER } from "../../lessons/components/scale.ts";

const LANGS = ["en", "ko"] as const;

function scenario(name: string): World {
  const doc = JSON.parse(Deno.readTextFileSync(`lessons/scenarios/${name}.json`));
  return kernel.unwrap(kernel.loadScenario(doc), (e) => e.map(kernel.formatLoadError).join("; "));
}

/** Each lesson's path and its questions, computed here with the kernel. */
const LESSONS: readonly [string, () => q.Questions][] = [
  ["", () => q.overviewQuestions(scenario("vxlan"), "en")],
  ["pod-stack", () => q.podStackQuestions(scenario("single-host"), "en")],
  ["pause", () => q.pauseQuestions(scenario("single-host"), "en")],
  ["hosts", () => q.hostsQuestions(scenario("gateway"), "en")],
  ["flat-overlay", () => q.flatQuestions(scenario("nat"), "en")],
  ["summary", () => q.summaryQuestions("en")],
  [
    "scale",
    () => q.scaleQuestions(kernel.unwrap(kernel.buildWorld(CLUSTER), (e) => e.message), "en"),
  ],
  ["services", () => q.servicesQuestions(scenario("services"), "en")],
];

const site = new Site();
test.after(() => site.close());

const skip = browserSkipReason();
if (skip) {
  test(`predict: SKIPPED (${skip})`, () => {
    if (Deno.env.get("CI")) assert.unreachable(`browser tests may not skip in CI: ${skip}`);
  });
} else {
  test("predict: every lesson asks first, then the kernel answers; answers are kept and counted", async () => {
    for (const lang of LANGS) {
      for (const [slug, questions] of LESSONS) {
        const where = `${lang}/${slug}`;
        const qs = questions();
        await using p = await site.open(`${lang}/${slug}`);
        const page = p.page;
        assert.ok(await page.locator(".pn-predict").count() >= 2, `${where}: two questions`);
        for (const [i, [id, want]] of qs.entries()) {
          const box = page.locator(`[data-testid="predict-${id}"]`);
          assert.is(await box.getAttribute("data-state"), "open", `${where} ${id}`);
          assert.is(
            (await box.locator(".pn-predict-reveal").innerText()).trim(),
            "",
            `${where} ${id}: nothing revealed before the learner commits`,
          );
          assert.ok(
            await page.locator(`[data-testid="predict-${id}-check"]`).isDisabled(),
            `${where} ${id}: no answer, no check`,
          );
          // The first question is answered right, the second wrong.
          const pick = i === 0 ? want.answer : want.choices.find((c) => c.key !== want.answer)!.key;
          await box.locator(`input[type=radio][value="${pick}"]`).check();
          await page.click(`[data-testid="predict-${id}-check"]`);
          await settle(
            () => box.getAttribute("data-state"),
            i === 0 ? "right" : "wrong",
            `${where} ${id}: the page judges as the kernel does`,
          );
          const reveal = await box.locator(".pn-predict-reveal").innerText();
          assert.ok(reveal.length > 20, `${where} ${id}: explained`);
        }
        const counted = `${qs.length}/${qs.length}`;
        await page.reload({ waitUntil: "networkidle" });
        for (const [i, [id]] of qs.entries()) {
          await settle(
            () => page.locator(`[data-testid="predict-${id}"]`).getAttribute("data-state"),
            i === 0 ? "right" : "wrong",
            `${where} ${id}: kept after a reload`,
          );
        }
        const shown = await page.locator("#observablehq-sidebar .pn-progress").allInnerTexts();
        assert.ok(shown.includes(counted), `${where}: the sidebar shows ${counted} (${shown})`);
        await page.click(`[data-testid="predict-${qs[0][0]}-again"]`);
        assert.is(
          await page.locator(`[data-testid="predict-${qs[0][0]}"]`).getAttribute("data-state"),
          "open",
          `${where}: try again`,
        );
        assert.equal(p.errors, [], where);
      }
    }
  });
}

test.run();
