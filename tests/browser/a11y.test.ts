/**
 * Accessibility of every built page, light and dark, checked with axe-core
 * (Deque's rule engine, the reference implementation of automated WCAG
 * checks; we would not write a contrast or ARIA checker better ourselves):
 * no serious or critical violation in podnet's own content. Framework's
 * shell (sidebar, table of contents, search) is outside podnet's control;
 * its violations are listed in the test's output, not failed.
 *
 * Run alone with `deno run -A tests/browser/a11y.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import {
  browserSkipReason,
  buildSite,
  builtPages,
  launchBrowser,
  openPage,
  REPO_ROOT,
} from "./harness.ts";
import { Site } from "./cells.ts";

const SHELL = [
  "#observablehq-sidebar",
  "#observablehq-sidebar-toggle",
  "#observablehq-toc",
  "#observablehq-search-results",
];

interface Found {
  readonly rule: string;
  readonly impact: string;
  readonly target: string;
  readonly summary: string;
}

/** Runs axe-core in the page; returns serious and critical violations, one per element. */
async function violations(page: Page): Promise<Found[]> {
  const source = await Deno.readTextFile(`${REPO_ROOT}/node_modules/axe-core/axe.min.js`);
  await page.addScriptTag({ content: source });
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, {
      resultTypes: ["violations"],
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
      },
    });
    const out: Found[] = [];
    for (const v of result.violations) {
      if (v.impact !== "serious" && v.impact !== "critical") continue;
      for (const n of v.nodes) {
        out.push({
          rule: v.id,
          impact: v.impact,
          target: n.target.join(" "),
          summary: String(n.failureSummary ?? "").split("\n").slice(0, 2).join(" "),
        });
      }
    }
    return out;
  });
}

/** Whether an element (by axe's selector) is in Framework's shell rather than podnet's content. */
function inShell(page: Page, target: string): Promise<boolean> {
  return page.evaluate(([t, shell]) => {
    const el = document.querySelector(t as string);
    return !!el && (shell as string[]).some((s) => el.closest(s) !== null);
  }, [target, SHELL] as const);
}

const site = new Site();
test.after(() => site.close());

const skip = browserSkipReason();
if (skip) {
  test(`a11y: SKIPPED (${skip})`, () => {
    if (Deno.env.get("CI")) assert.unreachable(`browser tests may not skip in CI: ${skip}`);
  });
} else {
  test("a11y: no serious or critical axe-core violation in podnet's content, light and dark", async () => {
    const pages = await builtPages(await buildSite());
    const ours: string[] = [];
    const shell = new Set<string>();
    for (const scheme of ["light", "dark"] as const) {
      for (const path of pages) {
        const url = await site.url(path.slice(1));
        site.chrome ??= await launchBrowser();
        await using p = await openPage(site.chrome, url, { colorScheme: scheme, timeout: 30_000 });
        await p.page.waitForFunction(
          () =>
            [...document.querySelectorAll<HTMLElement>(".pn-cell")].every((c) =>
              Number(c.dataset.runs ?? 0) >= 1 && c.dataset.state !== "running"
            ),
          null,
          { timeout: 30_000 },
        );
        for (const v of await violations(p.page)) {
          const line = `${path} (${scheme}) ${v.impact} ${v.rule}: ${v.target} — ${v.summary}`;
          if (await inShell(p.page, v.target)) shell.add(`${v.rule}: ${v.target}`);
          else ours.push(line);
        }
      }
    }
    if (shell.size) {
      console.log(`  Framework's shell keeps ${shell.size} serious/critical findings:`);
      for (const s of shell) console.log(`    ${s}`);
    }
    assert.equal(ours, [], "serious or critical violations in podnet's content");
  });
}

test.run();
