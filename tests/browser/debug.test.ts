/**
 * The "Debug your own cluster" page, in both languages: the reader chooses
 * the collector documents of a lab built from the vxlan example (the
 * round trip's output, tests/fixtures/import/) and the page draws the
 * nodes, traces a pod pair as the example does, lists the rules and fills
 * the heatmap, without a request to any other host; a truncated file is
 * refused with its name and path. (What the page shows for unmodelled state
 * is the importer's report, tested in tests/import.test.ts.)
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { browserSkipReason } from "./harness.ts";
import { Site } from "./cells.ts";
import { skipSuite } from "../support/skip.ts";

const skip = browserSkipReason();
const site = new Site();
test.after(() => site.close());

const FIXTURES = ["vxlan-node-1.json", "vxlan-node-2.json"].map((f) =>
  `tests/fixtures/import/${f}`
);

async function openDebug(lang: "en" | "ko") {
  const p = await site.open(`${lang}/debug`, { settled: false });
  await p.page.waitForSelector('[data-testid="debug-empty"]', { timeout: 30_000 });
  return p;
}

function files(paths: string[]) {
  return paths.map((path) => ({
    name: path.split("/").pop()!,
    mimeType: "application/json",
    buffer: Buffer.from(Deno.readTextFileSync(path)),
  }));
}

if (skip) {
  skipSuite("browser: debug page", skip);
} else {
  for (const lang of ["en", "ko"] as const) {
    test(`debug page (${lang}): the round trip's files are drawn, traced, checked and mapped, locally`, async () => {
      await using p = await openDebug(lang);
      const requests: string[] = [];
      p.page.on("request", (r) => requests.push(r.url()));
      assert.match(
        await p.page.locator("main").innerText(),
        lang === "en" ? /Nothing leaves your browser/ : /브라우저 밖으로 나가지 않습니다/,
      );
      await p.page.locator('input[type="file"]').first().setInputFiles(files(FIXTURES));
      await p.page.waitForSelector('[data-testid="debug-report"]', { timeout: 30_000 });
      assert.is(
        await p.page.locator('[data-testid="debug-unmodelled"]').getAttribute("data-count"),
        "0",
      );
      await p.page.waitForSelector('svg[data-testid="debug-diagram"]', { timeout: 30_000 });
      const devices = await p.page.locator('svg[data-testid="debug-diagram"] [data-device]')
        .count();
      assert.ok(devices >= 14, `devices drawn: ${devices}`);
      await p.page.locator('select[data-testid="debug-from"]').selectOption("imptest-pod-a");
      await p.page.locator('select[data-testid="debug-to"]').selectOption("imptest-pod-c");
      const verdict = p.page.locator('[data-testid="debug-verdict"][data-verdict="delivered"]');
      await verdict.waitFor({ timeout: 30_000 });
      assert.is(await verdict.getAttribute("data-src"), "10.244.1.2");
      assert.ok(await p.page.locator('[data-testid="debug-rules"]').count() === 1);
      await p.page.waitForSelector('[data-testid="debug-heatmap"], [data-testid^="debug-heat"]', {
        timeout: 30_000,
      });
      const origin = new URL(await site.url("")).origin;
      const away = requests.filter((u) =>
        !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:")
      );
      assert.equal(away, []);
    });
  }

  test("debug page: a truncated file is refused with its name and JSON path", async () => {
    await using p = await openDebug("en");
    const cut = Deno.readTextFileSync(FIXTURES[0]).slice(0, 700);
    await p.page.locator('input[type="file"]').first().setInputFiles([{
      name: "cut.json",
      mimeType: "application/json",
      buffer: Buffer.from(cut),
    }]);
    const box = p.page.locator('[data-testid="debug-problems"]');
    await box.waitFor({ timeout: 30_000 });
    assert.match(await box.innerText(), /cut\.json: \(document\): Not valid JSON/);
  });
}

test.run();
