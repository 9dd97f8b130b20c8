/**
 * Driving notebook cells in a page, for the browser tests: open a lesson
 * with its cells settled, replace a cell's code the way a reader does
 * (focus, which loads the editor; select all; type), run it, and read what
 * it shows.
 *
 * @module
 */
import type { Page } from "playwright-core";
import * as assert from "uvu/assert";
import { buildSite, launchBrowser, openPage, REPO_ROOT, serveDist } from "./harness.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import type { BrowserHandle, PageHandle, StaticServer } from "./harness.ts";

/** The selector of cell `id`. */
export const cell = (id: string): string => `[data-testid="cell-${id}"]`;

/** One built site and one browser per test file, made on first use. */
export class Site {
  server?: StaticServer;
  chrome?: BrowserHandle;

  /** The site's URL of `path` (e.g. `en/hosts`), building and serving the site first. */
  async url(path: string): Promise<string> {
    this.server ??= serveDist(await buildSite());
    return new URL(path, this.server.url).href;
  }

  /**
   * Opens a page; with `settled` (the default), waits until every cell on it has run once.
   *
   * @param path A site path, with a fragment for a share link.
   * @param options Whether to wait for the cells, and another browser to use.
   */
  async open(
    path: string,
    options: { settled?: boolean; browser?: BrowserHandle } = {},
  ): Promise<PageHandle> {
    const url = await this.url(path);
    this.chrome ??= await launchBrowser();
    const handle = await openPage(options.browser ?? this.chrome, url, { timeout: 30_000 });
    if (options.settled ?? true) {
      await handle.page.waitForFunction(
        () => {
          const cells = [...document.querySelectorAll<HTMLElement>(".pn-cell")];
          return cells.length > 0 &&
            cells.every((c) => Number(c.dataset.runs ?? 0) >= 1 && c.dataset.state !== "running");
        },
        null,
        { timeout: 30_000 },
      );
    }
    return handle;
  }

  async close(): Promise<void> {
    await this.server?.close();
    await this.chrome?.close();
    this.server = undefined;
    this.chrome = undefined;
  }
}

/** Focuses a cell's code, which loads its editor, and waits for the editor. */
export async function openEditor(page: Page, id: string): Promise<void> {
  await page.locator(`${cell(id)} [data-testid="cell-${id}-code"]`).click();
  await page.waitForSelector(`${cell(id)} .cm-content`, { timeout: 10_000 });
}

/** Replaces a cell's code as a reader would: focus, select all, delete, type (or paste). */
export async function setCode(
  page: Page,
  id: string,
  code: string,
  how: "paste" | "type" = "paste",
): Promise<void> {
  await openEditor(page, id);
  await page.locator(`${cell(id)} .cm-content`).click();
  await page.keyboard.press("Control+a");
  await page.keyboard.press("Delete");
  if (how === "paste") await page.keyboard.insertText(code);
  else await page.keyboard.type(code);
}

/** How many times a cell has run. */
export async function runsOf(page: Page, id: string): Promise<number> {
  return Number(await page.locator(cell(id)).getAttribute("data-runs"));
}

/** Waits until a cell has run more than `before` times. */
export async function ranAfter(page: Page, id: string, before: number, timeout = 10_000) {
  await page.waitForFunction(
    ([sel, n]) =>
      Number(document.querySelector<HTMLElement>(sel as string)?.dataset.runs) > (n as number),
    [cell(id), before],
    { timeout },
  );
}

/** Clicks Run (or presses Ctrl-Enter in the editor) and waits for the run to finish. */
export async function run(page: Page, id: string, how: "button" | "keys" = "button") {
  // A cell ignores Run while it is running: wait for the run before to end.
  await page.waitForSelector(`${cell(id)}:not([data-state="running"])`, { timeout: 30_000 });
  const before = await runsOf(page, id);
  if (how === "button") await page.click(`[data-testid="cell-${id}-run"]`);
  else {
    await page.locator(`${cell(id)} .cm-content`).click();
    await page.keyboard.press("Control+Enter");
  }
  await ranAfter(page, id, before);
}

/** Replaces a cell's code and runs it. */
export async function runCode(page: Page, id: string, code: string): Promise<void> {
  await setCode(page, id, code);
  await run(page, id);
}

/** One of the lessons' example worlds (`lessons/scenarios/<name>.json`), loaded here. */
export function exampleWorld(name: string): kernel.World {
  const doc = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/lessons/scenarios/${name}.json`));
  return kernel.unwrap(kernel.loadScenario(doc), (e) => e.map(kernel.formatLoadError).join("; "));
}

/**
 * Asserts that the verdict box `<testid>-verdict` shows the drop the
 * kernel, run here, predicts: the verdict, its reason and where.
 */
export async function assertDropped(page: Page, testid: string, expected: kernel.Verdict) {
  const box = page.locator(`[data-testid="${testid}-verdict"]`);
  assert.is(expected.kind, "dropped", "the kernel predicts a drop");
  const shown = {
    verdict: await box.getAttribute("data-verdict"),
    reason: await box.getAttribute("data-reason"),
    namespace: await box.getAttribute("data-namespace"),
  };
  assert.equal(shown, {
    verdict: "dropped",
    reason: expected.kind === "dropped" ? expected.drop.reason : "",
    namespace: expected.namespace,
  });
}

/** The cell's status line. */
export async function status(page: Page, id: string): Promise<string> {
  return await page.locator(`[data-testid="cell-${id}-status"]`).textContent() ?? "";
}

/** The code a cell shows, from its editor or, before the editor loaded, its code view. */
export async function codeOf(page: Page, id: string): Promise<string> {
  return await page.locator(cell(id)).evaluate((el) => {
    const lines = el.querySelectorAll(".cm-line");
    if (lines.length > 0) return [...lines].map((l) => l.textContent ?? "").join("\n");
    return el.querySelector(".pn-cell-code")?.textContent ?? "";
  });
}

/** The cell's `value` (its latest outcome), as plain data. */
export async function valueOf(
  page: Page,
  id: string,
): Promise<{ ok: boolean; error?: string; value?: Record<string, unknown> }> {
  return await page.locator(cell(id)).evaluate((el) => {
    const v = (el as HTMLElement & {
      value: { ok: boolean; error?: string; value?: Record<string, unknown> };
    }).value;
    const { world: _world, ...rest } = v.value ?? {};
    return { ok: v.ok, error: v.error, value: v.ok ? JSON.parse(JSON.stringify(rest)) : undefined };
  });
}
