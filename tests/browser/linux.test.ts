/**
 * Browser test of the "try it on Linux" boxes: under each lesson that loads
 * an example scenario, the page shows exactly the script
 * `deno task export` writes for it, in both languages.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  browserSkipReason,
  buildSite,
  launchBrowser,
  openPage,
  REPO_ROOT,
  serveDist,
} from "./harness.ts";
import type { BrowserHandle, StaticServer } from "./harness.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import { exportScript } from "../../lessons/kernel/lab/export.js";
import { skipSuite } from "../support/skip.ts";

const SHOWN: Record<string, [string, string][]> = {
  "pod-stack": [["host", "single-host"]],
  hosts: [["same", "same-range"], ["gateway", "gateway"], ["hostgw", "host-gw"]],
  "flat-overlay": [["nat", "nat"], ["vxlan", "vxlan"]],
  services: [["services", "services"]],
};

function scriptOf(scenario: string): string {
  const doc = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/lessons/scenarios/${scenario}.json`));
  const world = kernel.unwrap(
    kernel.loadScenario(doc),
    (e) => e.map(kernel.formatLoadError).join("; "),
  );
  return kernel.unwrap(exportScript(world), (e) => e.message);
}

const skip = browserSkipReason();
let server: StaticServer | undefined;
let chrome: BrowserHandle | undefined;

test.after(async () => {
  await server?.close();
  await chrome?.close();
});

if (skip) {
  skipSuite("browser: linux", skip);
} else {
  test("linux: each lesson shows the export script of the scenarios it uses", async () => {
    server = serveDist(await buildSite());
    chrome = await launchBrowser();
    for (const lang of ["en", "ko"]) {
      for (const [page, shown] of Object.entries(SHOWN)) {
        const p = await openPage(chrome, new URL(`${lang}/${page}`, server.url).href, {
          timeout: 30_000,
        });
        try {
          for (const [id, scenario] of shown) {
            const code = p.page.locator(`[data-testid="${id}-linux-script"]`);
            assert.is(await code.textContent(), scriptOf(scenario), `${lang}/${page}: ${scenario}`);
            const summary = await p.page.locator(`[data-testid="${id}-linux"] summary`)
              .textContent();
            assert.match(summary ?? "", lang === "en" ? /Try it on Linux/ : /리눅스에서 해 보기/);
          }
          assert.equal(p.errors, [], `${lang}/${page}`);
        } finally {
          await p.close();
        }
      }
    }
  });
}

test.run();
