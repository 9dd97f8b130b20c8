/**
 * Share links, as a stranger's link and a reader's own work meet: a link's
 * code is shown under a banner and the page scrolls to and outlines its
 * cell, but nothing runs until the reader presses Run — a link carrying
 * code that tries the network reaches nothing even then; the link's code
 * never replaces the reader's saved code unless the reader keeps it; kept
 * code says where it came from on later visits; "Back to my code" brings
 * the reader's own code back.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Page } from "playwright-core";
import { browserSkipReason } from "./harness.ts";
import type { PageHandle } from "./harness.ts";
import { cell, codeOf, run, runsOf, setCode, Site } from "./cells.ts";
import { LeakListener } from "./listener.ts";
import { encodeShare } from "../../lessons/kernel/notebook/share.js";
import { skipSuite } from "../support/skip.ts";

const skip = browserSkipReason();
const site = new Site();
const leaks = new LeakListener();

test.after(async () => {
  await site.close();
  await leaks.close();
});

const MINE = 'return { world, probe: { from: "a", to: "b" } };';
const linkCode = () =>
  [
    `fetch("${leaks.http}/from-a-link").catch(() => {});`,
    `import("${leaks.http}/from-a-link.js").catch(() => {});`,
    'const r = kernel.setIpForward(world, "gateway", false);',
    'return { world: kernel.unwrap(r), probe: { from: "a", to: "c" } };',
  ].join("\n");

const origin = (page: Page, id: string) => page.locator(cell(id)).getAttribute("data-origin");
const stored = (page: Page, id: string) =>
  page.evaluate(
    (id) =>
      Object.keys(localStorage).filter((k) => k.endsWith(`:${id}`) || k.includes(`:${id}:`))
        .map((k) => [k.replace(/^.*:/, ""), localStorage.getItem(k)]),
    id,
  );

/** Opens the link in the same context (so the reader's storage is there) and waits for the linked cell. */
async function follow(p: PageHandle, path: string, id: string, code: string) {
  await p.page.goto("about:blank"); // a new load, as when a link is opened, not a hash change
  await p.page.goto(await site.url(`${path}#${encodeShare(id, code)}`));
  await p.page.waitForSelector(`${cell(id)}[data-state="idle"]`, { timeout: 30_000 });
}

if (skip) {
  skipSuite("browser: share", skip);
} else {
  test("share: a link's code waits for Run, is shown and scrolled to, and is not saved over the reader's code", async () => {
    await using p = await site.open("en/hosts");
    await setCode(p.page, "lost-route", MINE);
    await run(p.page, "lost-route");
    await follow(p, "en/hosts", "lost-route", linkCode());
    assert.is(await codeOf(p.page, "lost-route"), linkCode());
    assert.ok(await p.page.locator('[data-testid="cell-lost-route-banner"]').isVisible());
    assert.is(await origin(p.page, "lost-route"), "link");
    // Nothing runs on its own, however long the reader reads.
    await new Promise((r) => setTimeout(r, 2_500));
    assert.is(await runsOf(p.page, "lost-route"), 0, "the link's code ran on its own");
    assert.equal(leaks.connections, []);
    const linked = await p.page.locator(cell("lost-route")).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return {
        inView: r.top >= 0 && r.top < innerHeight,
        outlined: el.classList.contains("pn-cell-linked"),
        scrolled: scrollY > 0,
      };
    });
    assert.equal(linked, { inView: true, outlined: true, scrolled: true }, "scrolled to its cell");
    // Editing the link's code does not save it.
    await setCode(p.page, "lost-route", `${linkCode()}\n// looked at it`);
    await run(p.page, "lost-route");
    assert.is(
      await p.page.locator('[data-testid="lost-route-cell-verdict"]').getAttribute("data-reason"),
      "ip-forward-off",
    );
    assert.equal(leaks.connections, [], "the link's code reached the network");
    assert.equal(await stored(p.page, "lost-route"), [["lost-route", MINE]]);
    await p.page.goto(await site.url("en/hosts"));
    await p.page.waitForSelector(`${cell("lost-route")}[data-state="ok"]`, { timeout: 30_000 });
    assert.is(await codeOf(p.page, "lost-route"), MINE, "the reader's own code is back");
    assert.is(await origin(p.page, "lost-route"), "edited");
    assert.not.ok(await p.page.locator('[data-testid="cell-lost-route-banner"]').isVisible());
  });

  test("share: kept code is saved and marked on later visits; Reset removes both", async () => {
    await using p = await site.open("ko/hosts");
    await follow(p, "ko/hosts", "lost-route", linkCode());
    await p.page.click('[data-testid="cell-lost-route-keep"]');
    assert.not.ok(await p.page.locator('[data-testid="cell-lost-route-banner"]').isVisible());
    assert.not.match(p.page.url(), /#cell=/, "the link is gone from the address bar");
    await p.page.reload();
    await p.page.waitForSelector(`${cell("lost-route")}[data-runs="1"]`, { timeout: 30_000 });
    assert.is(await codeOf(p.page, "lost-route"), linkCode());
    assert.is(await origin(p.page, "lost-route"), "kept");
    assert.match(
      await p.page.locator('[data-testid="cell-lost-route-origin"]').textContent() ?? "",
      /공유 링크/,
    );
    await setCode(p.page, "lost-route", `${linkCode()}\n// mine now`);
    await p.page.reload();
    await p.page.waitForSelector(`${cell("lost-route")}[data-runs="1"]`, { timeout: 30_000 });
    assert.is(await origin(p.page, "lost-route"), "kept", "an edit keeps the mark");
    await p.page.click('[data-testid="cell-lost-route-reset"]');
    await p.page.waitForSelector(`${cell("lost-route")}[data-runs="2"]`, { timeout: 30_000 });
    assert.is(await origin(p.page, "lost-route"), "lesson");
    assert.equal(await stored(p.page, "lost-route"), []);
    assert.equal(leaks.connections, []);
  });

  test("share: Back to my code restores the reader's code and forgets the link", async () => {
    await using p = await site.open("en/hosts");
    await setCode(p.page, "lost-route", MINE);
    await follow(p, "en/hosts", "lost-route", linkCode());
    await p.page.click('[data-testid="cell-lost-route-discard"]');
    await p.page.waitForSelector(`${cell("lost-route")}[data-state="ok"]`, { timeout: 30_000 });
    assert.is(await codeOf(p.page, "lost-route"), MINE);
    assert.is(await origin(p.page, "lost-route"), "edited");
    assert.not.match(p.page.url(), /#cell=/);
    assert.is(
      await p.page.locator('[data-testid="lost-route-cell-verdict"]').getAttribute("data-verdict"),
      "delivered",
    );
    assert.equal(leaks.connections, []);
  });

  test("share: a link to a cell far down the page opens at that cell, in both languages", async () => {
    for (const path of ["en/pause", "ko/summary", "en/scale", "ko/services"]) {
      const id = path.endsWith("pause")
        ? "without-pause"
        : path.endsWith("summary")
        ? "one-fault"
        : path.endsWith("services")
        ? "hairpin"
        : "scale-code";
      await using p = await site.open(`${path}#${encodeShare(id, "return { world };")}`, {
        settled: false,
      });
      await p.page.waitForSelector(`${cell(id)}[data-state="idle"]`, { timeout: 60_000 });
      // Wait for the rest of the page to be drawn, then look where the reader is.
      await p.page.waitForTimeout(1_500);
      const where = await p.page.locator(cell(id)).evaluate((el) => {
        const r = el.getBoundingClientRect();
        return { top: Math.round(r.top), height: innerHeight, y: scrollY };
      });
      assert.ok(
        where.top >= 0 && where.top < where.height && where.y > 500,
        `${path}: cell at ${where.top} px of ${where.height}, page scrolled ${where.y} px`,
      );
      assert.ok(
        await p.page.locator(`${cell(id)}.pn-cell-linked`).count() === 1,
        `${path}: outlined`,
      );
      assert.is(
        await p.page.evaluate(() => document.activeElement?.getAttribute("data-testid")),
        `cell-${id}-banner`,
        `${path}: the banner has focus, so a keyboard reader is there too`,
      );
    }
  });
}

test.run();
