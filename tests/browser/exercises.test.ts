/**
 * Browser tests of the fix-it exercises as a learner meets them: on every
 * lesson with a cell above its exercise, in both languages, a cell with a
 * syntax error never solves the exercise (it says why, and a solved one
 * stays solved); a fix made in a table or with lifecycle buttons survives a
 * reload and a re-run of the unchanged cell, until Reset.
 *
 * Run alone with `deno run -A tests/browser/exercises.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import { browserSkipReason, settle } from "./harness.ts";
import { codeOf, run, runCode, Site } from "./cells.ts";

const LANGS = ["en", "ko"] as const;

/** Each lesson's fix-it exercise: the cell above it, its test id, and how a learner fixes it. */
const EXERCISES: readonly {
  slug: string;
  cell: string;
  id: string;
  fix: (page: Page) => Promise<void>;
}[] = [
  {
    slug: "",
    cell: "break-it",
    id: "fix-it",
    fix: (page) =>
      appendLine(page, "fix-it-table-node-1", "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink"),
  },
  {
    slug: "pod-stack",
    cell: "app-exited",
    id: "stack-fix",
    fix: (page) => page.click('[data-testid="stack-fix-a-start-app"]'),
  },
  {
    slug: "pause",
    cell: "without-pause",
    id: "pause-fix",
    fix: async (page) => {
      await page.click('[data-testid="pause-fix-x-delete"]');
      await page.click('[data-testid="pause-fix-x-create"]');
    },
  },
  {
    slug: "hosts",
    cell: "lost-route",
    id: "hosts-fix",
    fix: (page) =>
      appendLine(page, "hosts-fix-table-gateway", "10.244.2.0/24 via 192.168.0.12 dev eth0"),
  },
  {
    slug: "summary",
    cell: "one-fault",
    id: "sum-fix",
    fix: async (page) => {
      const area = page.locator('[data-testid="sum-fix-table-node-2"]');
      const lines = (await area.inputValue()).split("\n").map((l) =>
        l.startsWith("10.244.1.0/24 via 192.168.0.13")
          ? "10.244.1.0/24 via 192.168.0.11 dev eth0"
          : l
      );
      await area.fill(lines.join("\n"));
    },
  },
  {
    slug: "services",
    cell: "hairpin",
    id: "services-fix",
    fix: (page) =>
      appendLine(page, "services-fix-table-node-2", "-t nat -A KUBE-POSTROUTING -j MASQUERADE"),
  },
];

async function appendLine(page: Page, testid: string, line: string): Promise<void> {
  const area = page.locator(`[data-testid="${testid}"]`);
  await area.fill(`${await area.inputValue()}\n${line}`);
}

const statusOf = (page: Page, id: string) =>
  page.locator(`[data-testid="${id}-exercise"]`).getAttribute("data-status");
const detailsOf = (page: Page, id: string) =>
  page.locator(`[data-testid="${id}-exercise"] .pn-exercise-details`).innerText();

const site = new Site();
test.after(() => site.close());

const skip = browserSkipReason();
if (skip) {
  test(`exercises: SKIPPED (${skip})`, () => {
    if (Deno.env.get("CI")) assert.unreachable(`browser tests may not skip in CI: ${skip}`);
  });
} else {
  test("exercises: a cell with a syntax error never solves an exercise, and says why", async () => {
    for (const lang of LANGS) {
      for (const ex of EXERCISES) {
        const where = `${lang}/${ex.slug}`;
        await using p = await site.open(`${lang}/${ex.slug}`);
        assert.is(await statusOf(p.page, ex.id), "open", `${where}: open at first`);
        const code = await codeOf(p.page, ex.cell);
        // A syntax error on a fresh page: the exercise stays open (no fallback to the unbroken world).
        await runCode(p.page, ex.cell, "({ kernel, world }) => { return {");
        assert.is(await statusOf(p.page, ex.id), "open", `${where}: a syntax error solved it`);
        // Fixed, then the cell breaks: the exercise stays solved and names the failed run.
        await runCode(p.page, ex.cell, code);
        await ex.fix(p.page);
        await settle(() => statusOf(p.page, ex.id), "solved", `${where}: solved after the fix`);
        await runCode(p.page, ex.cell, "({ kernel, world }) => { return {");
        assert.is(await statusOf(p.page, ex.id), "solved", `${where}: a failed run undid the fix`);
        // The details follow the run that failed (they may update a moment after the cell).
        const names = async () =>
          /SyntaxError|Unexpected|구문/.test(await detailsOf(p.page, ex.id));
        await settle(names, true, `${where}: the details name the syntax error`);
        assert.equal(p.errors, [], where);
      }
    }
  });

  test("exercises: a fix survives a reload and a re-run of the unchanged cell, until Reset", async () => {
    for (const lang of LANGS) {
      for (const ex of EXERCISES) {
        const where = `${lang}/${ex.slug}`;
        await using p = await site.open(`${lang}/${ex.slug}`);
        await ex.fix(p.page);
        await settle(() => statusOf(p.page, ex.id), "solved", `${where}: solved after the fix`);
        await run(p.page, ex.cell);
        await settle(() => statusOf(p.page, ex.id), "solved", `${where}: after a re-run`);
        await p.page.reload({ waitUntil: "networkidle" });
        await settle(() => statusOf(p.page, ex.id), "solved", `${where}: after a reload`);
        assert.ok(
          await p.page.locator(`[data-testid="${ex.id}-kept"]`).isVisible(),
          `${where}: the page says the fix was kept`,
        );
        await p.page.click(`[data-testid="${ex.id}-reset"]`);
        await settle(() => statusOf(p.page, ex.id), "open", `${where}: open after Reset`);
        await p.page.reload({ waitUntil: "networkidle" });
        await settle(() => statusOf(p.page, ex.id), "open", `${where}: Reset is kept too`);
        assert.equal(p.errors, [], where);
      }
    }
  });
}

test.run();
