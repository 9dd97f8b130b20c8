/**
 * Browser tests of lesson 6, "Verification at cluster scale" (English and
 * Korean): the page builds its 100-node cluster, verifies it, and draws a
 * node × node heatmap whose every cell matches the verifier run here in the
 * test process; each breakage turns exactly the cells the kernel predicts
 * and reports a re-check time; undoing it turns them green; a bad table line
 * is named while the page keeps working; the exercise reports success once
 * the typo is fixed; the verification at Kubernetes' limits runs in a Web
 * Worker. Expectations are computed with the kernel, never written down.
 *
 * The kernel is imported through `lessons/kernel`, the symlink the pages
 * use, as in lessons.test.ts.
 *
 * The measured times (page load, full verification, re-checks) are printed
 * at the end. Screenshots go to artifacts/screenshots/scale-*.png.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import {
  browserSkipReason,
  buildSite,
  launchBrowser,
  openPage,
  serveDist,
  settle as settleWithin,
} from "./harness.ts";
import type { BrowserHandle, OpenPageOptions, PageHandle, StaticServer } from "./harness.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import type { World } from "../../lessons/kernel/mod.js";
import {
  CAUSES,
  fabricFromWorld,
  type NodeCells,
  nodeCells,
  recheckSteps,
  Verifier,
} from "../../lessons/kernel/verify/mod.js";
import {
  CLUSTER,
  LAB_START,
  labBreakages,
  LIMITS,
  PUZZLE,
} from "../../lessons/components/scale.ts";
import { skipSuite } from "../support/skip.ts";

const LANGS = ["en", "ko"] as const;
type Lang = (typeof LANGS)[number];

let server: StaticServer | undefined;
let chrome: BrowserHandle | undefined;

/** Times measured in the browser, printed at the end. */
const measured = {
  load: [] as string[],
  full: [] as number[],
  rechecks: [] as { what: string; millis: number; incremental: boolean }[],
  limit: "",
};

async function open(lang: Lang, options: OpenPageOptions = {}): Promise<PageHandle> {
  const dist = await buildSite();
  server ??= serveDist(dist);
  chrome ??= await launchBrowser();
  const started = performance.now();
  const p = await openPage(chrome, new URL(`${lang}/scale`, server.url).href, {
    timeout: 60_000,
    ...options,
  });
  await p.page.locator('[data-testid="scale-grid"]').waitFor({ timeout: 60_000 });
  await p.page.locator('[data-testid="fix-exercise"]').waitFor({ timeout: 60_000 });
  const ms = performance.now() - started;
  const nav = await p.page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd };
  });
  measured.load.push(
    `${lang} ${options.viewport?.width ?? 1280}px ${options.colorScheme ?? "light"}: ` +
      `heatmaps and exercise ready ${ms.toFixed(0)} ms after navigation started ` +
      `(DOMContentLoaded ${nav.dcl.toFixed(0)} ms, load ${nav.load.toFixed(0)} ms)`,
  );
  return p;
}

test.after(async () => {
  await server?.close();
  await chrome?.close();
  server = undefined;
  chrome = undefined;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log("\n  Measured in Chromium:");
  for (const l of measured.load) console.log(`    load, ${l}`);
  if (measured.full.length) {
    console.log(
      `    full verification (100 nodes, 400 pods): ${
        measured.full.map((x) => `${x.toFixed(1)} ms`).join(", ")
      }`,
    );
  }
  const inc = measured.rechecks.filter((r) => r.incremental).map((r) => r.millis);
  const full = measured.rechecks.filter((r) => !r.incremental).map((r) => r.millis);
  if (inc.length) {
    console.log(
      `    incremental re-checks: ${inc.length}, median ${median(inc).toFixed(2)} ms, ` +
        `max ${Math.max(...inc).toFixed(2)} ms`,
    );
  }
  if (full.length) {
    console.log(`    full re-checks: ${full.map((x) => `${x.toFixed(1)} ms`).join(", ")}`);
  }
  if (measured.limit) console.log(`    at the limit: ${measured.limit}`);
});

// --- the kernel's expectations ---------------------------------------------------------------

function ok<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`Kernel refused: ${JSON.stringify(r.error)}`);
  return r.value;
}

let baseWorld: World | undefined;
/** The page's cluster, built here the same way (`buildWorld` = the worker's scenario, loaded). */
function base(): World {
  return baseWorld ??= ok(kernel.buildWorld(CLUSTER));
}

function puzzle(): World {
  const dst = PUZZLE.typo.split(" ")[0];
  return ok(
    kernel.addRoute(ok(kernel.deleteRoute(base(), PUZZLE.node, dst)), PUZZLE.node, PUZZLE.typo),
  );
}

type Cell = readonly [from: number, to: number, failing: number, total: number, cause: string];

function expectedCells(world: World): Cell[] {
  const c: NodeCells = nodeCells(new Verifier(fabricFromWorld(world)));
  const n = c.nodes.length;
  return Array.from({ length: n * n }, (_, k) =>
    [
      Math.floor(k / n),
      k % n,
      c.failing[k],
      c.total[k],
      c.cause[k] < 0 ? "" : CAUSES[c.cause[k]],
    ] as const);
}

// --- reading the page ----------------------------------------------------------------------------

async function cellsOf(page: Page, id: string): Promise<Cell[]> {
  return await page.locator(`[data-testid="${id}-grid"]`).evaluate((svg) =>
    [...svg.querySelectorAll("rect[data-from]")].map((r) =>
      [
        Number(r.getAttribute("data-from")),
        Number(r.getAttribute("data-to")),
        Number(r.getAttribute("data-failing")),
        Number(r.getAttribute("data-total")),
        r.getAttribute("data-cause") ?? "",
      ] as const
    )
  );
}

const failingOnly = (cells: Cell[]) => cells.filter((c) => c[2] > 0);

/** Waits until `read` returns `want`; the page re-checks and redraws asynchronously. */
const settle = <T>(read: () => Promise<T>, want: T, what: string, ms = 15_000) =>
  settleWithin(read, want, what, ms);

/** Waits until the heatmap shows exactly the cells the kernel predicts for `world`. */
async function heatmapShows(page: Page, id: string, world: World, what: string) {
  const want = expectedCells(world);
  await settle(async () => failingOnly(await cellsOf(page, id)), failingOnly(want), what);
  assert.equal(await cellsOf(page, id), want, `${what}: every cell`);
}

interface RecheckAttrs {
  millis: number;
  incremental: string | null;
  failing: string | null;
  steps: string | null;
}

async function lastRecheck(page: Page, id: string): Promise<RecheckAttrs> {
  return await page.locator(`[data-testid="${id}-recheck"]`).evaluate((e) => ({
    millis: Number(e.getAttribute("data-millis")),
    incremental: e.getAttribute("data-incremental"),
    failing: e.getAttribute("data-failing"),
    steps: e.getAttribute("data-steps"),
  }));
}

async function logLength(page: Page, id: string): Promise<number> {
  return await page.locator(`[data-testid="${id}-log"] li`).count();
}

function noProblems(p: PageHandle, where: string) {
  assert.equal(p.errors, [], `${where}: errors`);
  assert.equal(p.externalRequests, [], `${where}: requests to other hosts`);
  assert.equal(p.httpErrors, [], `${where}: HTTP errors`);
}

/** Relative luminance of a CSS colour (`rgb(...)`). */
function luminance(css: string): number {
  const m = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(css);
  if (!m) throw new Error(`Cannot read colour ${css}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// --- the tests ------------------------------------------------------------------------------------

const skip = browserSkipReason();
if (skip) {
  skipSuite("browser: scale", skip);
} else {
  test("scale: both languages load offline, and every heatmap cell matches the verifier", async () => {
    const world = base();
    const v = new Verifier(fabricFromWorld(world));
    const summary = v.summary();
    for (const lang of LANGS) {
      await using p = await open(lang);
      const where = `${lang}/scale`;
      assert.is(await p.page.locator("html").getAttribute("lang"), lang);
      const verified = p.page.locator('[data-testid="verified"]');
      assert.is(await verified.getAttribute("data-pairs"), String(summary.checked));
      assert.is(await verified.getAttribute("data-failing"), String(summary.failing));
      measured.full.push(Number(await verified.getAttribute("data-millis")));
      assert.is(
        await p.page.locator('[data-testid="scale-grid"]').getAttribute("data-nodes"),
        String(CLUSTER.nodes),
      );
      const shown = await cellsOf(p.page, "scale");
      assert.is(shown.length, CLUSTER.nodes * CLUSTER.nodes, `${where}: 100 × 100 cells`);
      assert.equal(shown, expectedCells(world), `${where}: healthy cluster`);
      assert.ok(shown.every((c) => c[2] === 0), `${where}: all green`);
      // The exercise's cluster: exactly the typo's cell fails.
      const fix = await cellsOf(p.page, "fix");
      assert.equal(fix, expectedCells(puzzle()), `${where}: the puzzle`);
      const nodes = world.nodes.map((n) => n.name);
      assert.equal(
        failingOnly(fix).map((c) => [nodes[c[0]], nodes[c[1]], c[4]]),
        [[PUZZLE.node, PUZZLE.target, "next-hop"]],
      );
      assert.is(
        await p.page.locator('[data-testid="fix-exercise"]').getAttribute("data-status"),
        "open",
      );
      // The language switch leads to the other language's page.
      const other = lang === "en" ? "ko" : "en";
      assert.is(
        await p.page.locator(`nav.podnet-lang a[data-lang="${other}"]`).getAttribute("href"),
        `../${other}/scale`,
      );
      const built = await p.page.locator('[data-testid="built"]').textContent();
      assert.ok(built && /\d/.test(built), `${where}: build time shown`);
      noProblems(p, where);
      await p.screenshot(`scale-${lang}`);
    }
  });

  test("scale: each breakage turns exactly the predicted cells, with a re-check time; undoing it turns them green", async () => {
    const world = base();
    const breakages = labBreakages(world, LAB_START.node, LAB_START.target);
    assert.equal(breakages.map((b) => b.id), [
      "none",
      "delete-route",
      "wrong-hop",
      "loop",
      "ip-forward-off",
      "masquerade",
    ]);
    for (const lang of LANGS) {
      await using p = await open(lang);
      const where = `${lang}/scale`;
      // The page's own sequence of worlds, re-checked here the same way, says which re-checks are incremental.
      const mirror = new Verifier(fabricFromWorld(world));
      for (const b of [...breakages.slice(1), breakages[0]]) {
        const before = await logLength(p.page, "scale");
        await p.page.selectOption('[data-testid="scale-break"]', b.id);
        const broken = ok(b.apply(world));
        await heatmapShows(p.page, "scale", broken, `${where} ${b.id}`);
        await settle(
          () => logLength(p.page, "scale"),
          before + 1,
          `${where} ${b.id}: one re-check`,
        );
        const expected = recheckSteps(mirror, broken);
        const last = await lastRecheck(p.page, "scale");
        assert.ok(last.millis > 0 && last.millis < 5000, `${where} ${b.id}: time ${last.millis}`);
        assert.is(last.failing, String(expected.summary.failing), `${where} ${b.id}: count`);
        assert.is(last.incremental, String(expected.incremental), `${where} ${b.id}: incremental`);
        measured.rechecks.push({
          what: `${lang} ${b.id}`,
          millis: last.millis,
          incremental: last.incremental === "true",
        });
        if (b.id === "none") continue;
        // The details follow a failing cell, with the kernel's trace of its example pair.
        const index = (name: string | null) => world.nodes.findIndex((n) => n.name === name);
        await settle(
          async () => {
            const shown = await p.page.evaluate(() => {
              const at = (id: string) => document.querySelector(`[data-testid="${id}"]`);
              const d = at("scale-cell-details");
              const v = at("scale-cell-verdict");
              return {
                from: d?.getAttribute("data-from") ?? null,
                to: d?.getAttribute("data-to") ?? null,
                failing: d?.getAttribute("data-failing") ?? null,
                verdict: v?.getAttribute("data-verdict") ?? null,
                reason: v?.getAttribute("data-reason") ?? null,
                // the whole trace, also when a loop's middle rounds are one button
                hops: Number(at("scale-cell-stepper")?.getAttribute("data-hops") ?? -1),
              };
            });
            const view = mirror.nodePair(index(shown.from), index(shown.to));
            if (view.failing === 0) return { ...shown, expected: "a failing cell" };
            const trace = mirror.tracePair(...view.problems[0].example)!;
            const v = trace.verdict;
            const want = {
              ...shown,
              failing: String(view.failing),
              verdict: v.kind,
              reason: v.kind === "dropped" ? v.drop.reason : null,
              hops: trace.hops.length,
            };
            return JSON.stringify(shown) === JSON.stringify(want) ? "consistent" : { shown, want };
          },
          "consistent",
          `${where} ${b.id}: details of a failing cell, with its trace`,
        );
        if (b.id === "loop") await p.screenshot(`scale-${lang}-loop`);
      }
      assert.ok((await cellsOf(p.page, "scale")).every((c) => c[2] === 0), `${where}: green again`);
      noProblems(p, where);
    }
  });

  test("scale: cells can be picked by click, keyboard and table; a route edited in the table is re-checked", async () => {
    const world = base();
    const nodes = world.nodes.map((n) => n.name);
    await using p = await open("en");
    const details = p.page.locator('[data-testid="scale-cell-details"]');
    // Click.
    await p.page.locator('[data-testid="scale-grid"] rect[data-from="6"][data-to="41"]').click();
    await settle(() => details.getAttribute("data-to"), "node-42", "clicked cell");
    assert.is(await details.getAttribute("data-from"), "node-7");
    assert.is(
      await p.page.locator('[data-testid="scale-cell-verdict"]').getAttribute("data-verdict"),
      "delivered",
    );
    // Keyboard: the map is one tab stop; arrows move, Enter selects.
    await p.page.locator('[data-testid="scale-grid"]').focus();
    await p.page.keyboard.press("ArrowDown");
    await p.page.keyboard.press("Shift+ArrowRight");
    await p.page.keyboard.press("Enter");
    // From the clicked cell (node-7 → node-42): one row down, ten columns right.
    await settle(() => details.getAttribute("data-from"), nodes[7], "keyboard row");
    assert.is(await details.getAttribute("data-to"), nodes[51]);
    // Edit node-7's table: drop its route to node-42's pods.
    const area = p.page.locator(`[data-testid="scale-table-${LAB_START.node}"]`);
    const lines = (await area.inputValue()).split("\n");
    const dst = world.nodes.find((n) => n.name === LAB_START.target)!.podCidr.toString();
    const without = lines.filter((l) => !l.startsWith(`${dst} `));
    assert.is(without.length, lines.length - 1);
    await area.fill(without.join("\n"));
    const edited = ok(kernel.setRoutes(world, LAB_START.node, without));
    await heatmapShows(p.page, "scale", edited, "table edit");
    // The failing-pairs table names the cell; its button selects it.
    await p.page.locator('[data-testid="scale-show-6-41"]').click();
    await settle(() => details.getAttribute("data-failing"), "16", "table button");
    // A bad line is named; the page keeps the last good table.
    await area.fill([...without, "10.244.42.0/24 vai 192.168.0.52 dev eth0"].join("\n"));
    await settle(
      () => p.page.locator(`[data-testid="scale-errors-${LAB_START.node}"] li[data-line]`).count(),
      1,
      "bad line named",
    );
    await heatmapShows(p.page, "scale", edited, "still the last good table");
    // Reset: green again.
    await p.page.locator('[data-testid="scale-reset"]').click();
    await heatmapShows(p.page, "scale", world, "reset");
    noProblems(p, "en/scale");
  });

  test("scale: the exercise reports success once the typo is fixed", async () => {
    for (const lang of LANGS) {
      await using p = await open(lang);
      await p.page.selectOption('[data-testid="fix-node"]', PUZZLE.node);
      const area = p.page.locator(`[data-testid="fix-table-${PUZZLE.node}"]`);
      await settle(async () => (await area.inputValue()).includes(PUZZLE.typo), true, "typo shown");
      const target = base().nodes.find((n) => n.name === PUZZLE.target)!;
      const ip = kernel.namespaceNamed(base(), target.namespace)!.devices
        .find((d) => d.name === "eth0")!.addresses[0].addr.toString();
      const right = `${target.podCidr} via ${ip} dev eth0`;
      const fixed = (await area.inputValue()).replace(PUZZLE.typo, right);
      await area.fill(fixed);
      await settle(
        () => p.page.locator('[data-testid="fix-exercise"]').getAttribute("data-status"),
        "solved",
        `${lang}: exercise`,
      );
      const world = ok(kernel.setRoutes(puzzle(), PUZZLE.node, fixed.split("\n")));
      assert.ok(new Verifier(fabricFromWorld(world)).summary().holds, "the kernel agrees");
      await heatmapShows(p.page, "fix", world, `${lang}: fixed`);
      const last = await lastRecheck(p.page, "fix");
      assert.is(last.incremental, "true");
      measured.rechecks.push({ what: `${lang} fix`, millis: last.millis, incremental: true });
      noProblems(p, `${lang}/scale`);
      await p.screenshot(`scale-${lang}-solved`);
      // Looking at another node's table keeps the fix; so does coming back to it.
      const other = base().nodes.find((n) => n.name !== PUZZLE.node)!.name;
      await p.page.selectOption('[data-testid="fix-node"]', other);
      await p.page.locator(`[data-testid="fix-table-${other}"]`).waitFor();
      await settle(
        () => p.page.locator('[data-testid="fix-exercise"]').getAttribute("data-status"),
        "solved",
        `${lang}: after switching to ${other}`,
      );
      await p.page.selectOption('[data-testid="fix-node"]', PUZZLE.node);
      await settle(() => area.inputValue(), fixed, `${lang}: the fixed table is back`);
    }
  });

  test("scale: re-check times over repeated edits (measurement)", async () => {
    await using p = await open("en");
    for (let i = 0; i < 10; i++) {
      for (const id of ["delete-route", "none"]) {
        const before = await logLength(p.page, "scale");
        await p.page.selectOption('[data-testid="scale-break"]', id);
        await settle(() => logLength(p.page, "scale"), before + 1, `edit ${i} ${id}`);
        const last = await lastRecheck(p.page, "scale");
        assert.is(last.incremental, "true");
        measured.rechecks.push({ what: `repeat ${id}`, millis: last.millis, incremental: true });
      }
    }
    noProblems(p, "en/scale");
  });

  test("scale: a phone in dark mode: no sideways scrolling, the heatmap fits", async () => {
    for (const lang of LANGS) {
      await using p = await open(lang, {
        viewport: { width: 390, height: 844 },
        colorScheme: "dark",
      });
      await p.page.selectOption('[data-testid="scale-break"]', "ip-forward-off");
      await settle(
        async () => failingOnly(await cellsOf(p.page, "scale")).length > 0,
        true,
        `${lang}: broken`,
      );
      const width = await p.page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${lang}: page is ${width}px wide`);
      const box = await p.page.locator('[data-testid="scale-grid"]').boundingBox();
      assert.ok(box && box.width <= 390 && box.width > 300, `${lang}: heatmap ${box?.width}px`);
      // Passing cells are drawn dark on the dark page, failing ones bright.
      const fills = await p.page.locator('[data-testid="scale-grid"]').evaluate((svg) => {
        const fill = (sel: string) => getComputedStyle(svg.querySelector(sel)!).fill;
        return [fill("rect.pn-hm-ok"), fill('rect[data-cause="forwarding"]')];
      });
      assert.ok(luminance(fills[0]) < 0.2, `${lang}: passing cells ${fills[0]}`);
      assert.ok(luminance(fills[1]) > 0.3, `${lang}: failing cells ${fills[1]}`);
      noProblems(p, `${lang}/scale (phone, dark)`);
      await p.screenshot(`scale-${lang}-phone-dark`);
    }
  });

  test("scale: the verification at Kubernetes' limits runs in a Web Worker", async () => {
    await using p = await open("en");
    await p.page.locator('[data-testid="limit-run"]').click();
    const result = p.page.locator('[data-testid="limit-result"]');
    await settle(() => result.getAttribute("data-status"), "done", "limit run", 180_000);
    assert.is(await result.getAttribute("data-ran"), "worker");
    assert.is(await result.getAttribute("data-checked"), String(LIMITS.pods * (LIMITS.pods - 1)));
    assert.is(await result.getAttribute("data-holds"), "true");
    measured.limit = `${LIMITS.pods} pods, full verification ${await result.getAttribute(
      "data-verify-ms",
    )} ms, route re-check typically ${await result.getAttribute("data-edit-typical-ms")} ms; ${
      (await result.textContent())?.replace(/\s+/g, " ").trim()
    }`;
    noProblems(p, "en/scale (limit)");
    await p.screenshot("scale-en-limit");
  });
}

test.run();
