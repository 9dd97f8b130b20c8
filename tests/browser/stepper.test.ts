/**
 * Browser tests of the hop stepper and the diagram as a learner uses them:
 * on a routing loop the repeated rounds collapse into one button and every
 * hop stays reachable; every step of a trace shows the Linux command that
 * shows the same state, in both languages; and at 390 px the VXLAN
 * tunnel's label is drawn whole inside the picture.
 *
 * Run alone with `deno run -A tests/browser/stepper.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { browserSkipReason, launchBrowser, openPage, settle } from "./harness.ts";
import { Site } from "./cells.ts";
import { HOSTS } from "../../lessons/components/lessons.ts";

const site = new Site();
test.after(() => site.close());

const skip = browserSkipReason();
if (skip) {
  test(`stepper: SKIPPED (${skip})`, () => {
    if (Deno.env.get("CI")) assert.unreachable(`browser tests may not skip in CI: ${skip}`);
  });
} else {
  test("stepper: a routing loop's repeated rounds are one button, and every hop is reachable", async () => {
    const loop = HOSTS.breakages.find((b) => b.id.startsWith("replace-route"))!;
    assert.ok(loop, "the hosts lesson offers the looping route");
    for (const lang of ["en", "ko"] as const) {
      await using p = await site.open(`${lang}/hosts`);
      await p.page.selectOption('[data-testid="lab-break"]', loop.id);
      const stepper = p.page.locator('[data-testid="lab-stepper"]');
      await stepper.locator('[data-testid="lab-hop-loop"]').waitFor({ timeout: 10_000 });
      const buttons = await stepper.locator(".pn-hop-buttons button").count();
      assert.ok(buttons <= 16, `${lang}: ${buttons} hop buttons for a loop`);
      // The stepper starts at the last hop: walk back to the first with ◀, through the loop.
      const last = Number(await stepper.getAttribute("data-hop"));
      assert.ok(last > 30, `${lang}: the loop runs until the TTL is spent (${last + 1} hops)`);
      await stepper.locator('[data-testid="lab-hop-loop"]').click();
      const inside = Number(await stepper.getAttribute("data-hop"));
      assert.ok(inside > 0 && inside < last, `${lang}: the loop button steps into the loop`);
      assert.is(
        await stepper.locator('[data-testid="lab-hop-loop"]').getAttribute("aria-pressed"),
        "true",
      );
      await p.page.click('[data-testid="lab-next"]');
      await settle(() => stepper.getAttribute("data-hop"), String(inside + 1), `${lang}: ▶`);
      assert.equal(p.errors, [], lang);
    }
  });

  test("stepper: every step shows its Linux command, in both languages", async () => {
    for (const lang of ["en", "ko"] as const) {
      await using p = await site.open(`${lang}/`);
      const stepper = p.page.locator('[data-testid="journey-stepper"]');
      const hops = await stepper.locator(".pn-hop-buttons button").count();
      assert.ok(hops >= 5, `${lang}: the journey has hops`);
      const commands: string[] = [];
      for (let i = 0; i < hops; i++) {
        await stepper.locator(`[data-testid="journey-hop-${i}"]`).click();
        const steps = stepper.locator(".pn-step");
        const n = await steps.count();
        for (let j = 0; j < n; j++) {
          const cls = (await steps.nth(j).getAttribute("class")) ?? "";
          const command = steps.nth(j).locator('[data-testid="linux-command"]');
          // An ICMP delivery has no listening socket to show; every other step has a command.
          if (cls.includes("pn-step-deliver")) continue;
          assert.is(await command.count(), 1, `${lang} hop ${i + 1}, ${cls}: a command`);
          const label = await command.locator("span").innerText();
          assert.match(label, lang === "en" ? /On Linux/ : /리눅스에서 확인/);
          commands.push(await command.locator("code").innerText());
        }
      }
      for (
        const want of ["ip route get 10.244.2.2", "bridge fdb show dev flannel.1", "udp port 8472"]
      ) {
        assert.ok(
          commands.some((c) => c.includes(want)),
          `${lang}: ${want} (${commands.join(" | ")})`,
        );
      }
    }
  });

  test("stepper: at 390 px the VXLAN label is whole, inside the picture", async () => {
    site.chrome ??= await launchBrowser();
    for (const lang of ["en", "ko"] as const) {
      for (const colorScheme of ["light", "dark"] as const) {
        await using p = await openPage(site.chrome, await site.url(`${lang}/`), {
          viewport: { width: 390, height: 844 },
          colorScheme,
          timeout: 30_000,
        });
        const labels = await p.page.locator(".pn-tunnel-label").evaluateAll((els) =>
          els.map((el) => {
            const svg = (el as SVGTextElement).ownerSVGElement!.getBoundingClientRect();
            const r = el.getBoundingClientRect();
            return {
              text: el.textContent,
              inside: r.left >= svg.left - 0.5 && r.right <= svg.right + 0.5 && r.width > 0,
            };
          })
        );
        assert.ok(labels.length > 0, `${lang} ${colorScheme}: a tunnel label`);
        for (const l of labels) {
          assert.match(l.text ?? "", /^VXLAN VNI \d+ · UDP \d+$/);
          assert.ok(l.inside, `${lang} ${colorScheme}: "${l.text}" inside its picture`);
        }
      }
    }
  });
}

test.run();
