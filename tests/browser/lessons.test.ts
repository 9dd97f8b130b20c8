/**
 * Browser tests of the lessons (pages 0-5 and 8, English and Korean): each page
 * draws the devices its kernel world has, in the page's language; the
 * probe inputs, breakages, table editors and lifecycle buttons change the
 * verdict exactly as the kernel, run here in the test process, predicts; a
 * bad routing-table line is named and the page keeps working; and every
 * fix-it exercise reports success once the fix is made. site.test.ts
 * already checks that every built page loads offline, fits a phone and
 * follows dark mode; this file checks what the lessons do.
 *
 * The kernel is imported through `lessons/kernel`, the symlink the pages
 * use (addresses are one object through either path: identity.test.ts).
 *
 * Screenshots go to artifacts/screenshots/lessons-*.png. Run alone with
 * `deno run -A tests/browser/lessons.test.ts`, or inside the project's
 * single uvu run (tests/run.ts).
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
  REPO_ROOT,
  serveDist,
  settle,
} from "./harness.ts";
import type { BrowserHandle, PageHandle, StaticServer } from "./harness.ts";
import * as kernel from "../../lessons/kernel/mod.js";
import type { Probe, World } from "../../lessons/kernel/mod.js";
import {
  FLAT,
  HOSTS,
  OVERVIEW,
  playgroundBreakages,
  POD_STACK,
  SERVICES,
  SUMMARY,
} from "../../lessons/components/lessons.ts";
import { resolvConf } from "../../lessons/components/services.ts";
import { applyBreakages } from "../../lessons/components/breakages.ts";
import { skipSuite } from "../support/skip.ts";

const LANGS = ["en", "ko"] as const;
type Lang = (typeof LANGS)[number];
const SLUGS = [
  "index",
  "pod-stack",
  "pause",
  "hosts",
  "flat-overlay",
  "summary",
  "services",
] as const;
type Slug = (typeof SLUGS)[number];

let server: StaticServer | undefined;
let chrome: BrowserHandle | undefined;

async function open(lang: Lang, slug: Slug): Promise<PageHandle> {
  const dist = await buildSite();
  server ??= serveDist(dist);
  chrome ??= await launchBrowser();
  const path = slug === "index" ? `${lang}/` : `${lang}/${slug}`;
  const handle = await openPage(chrome, new URL(path, server.url).href, { timeout: 30_000 });
  await cellsSettled(handle.page);
  return handle;
}

/** Waits until every notebook cell on the page has run once in its worker. */
async function cellsSettled(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll<HTMLElement>(".pn-cell")].every((c) =>
        c.dataset.state === "ok" || c.dataset.state === "error"
      ),
    null,
    { timeout: 30_000 },
  );
}

test.after(async () => {
  await server?.close();
  await chrome?.close();
  server = undefined;
  chrome = undefined;
});

// --- worlds, computed here with the kernel ---------------------------------------

function scenario(name: string): World {
  const doc = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/lessons/scenarios/${name}.json`));
  return kernel.unwrap(kernel.loadScenario(doc), (e) => e.map(kernel.formatLoadError).join("; "));
}

function ok<T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!r.ok) throw new Error(`Kernel refused: ${JSON.stringify(r.error)}`);
  return r.value;
}

const built = (mode: kernel.Mode) => ok(kernel.buildWorld({ mode }));

/** The world each diagram on each page shows when the page opens, by diagram id. */
function diagramWorlds(slug: Slug): Record<string, World> {
  const vxlan = scenario("vxlan");
  const host = scenario("single-host");
  switch (slug) {
    case "index":
      return { journey: vxlan, "break-it": vxlan, "fix-it": vxlan };
    case "pod-stack": {
      const app = ok(kernel.createPod(host, {
        name: "solo-app",
        node: "node-1",
        containers: [{ name: "app", ports: [{ port: 8080, protocol: "tcp" }] }],
      })).world;
      const separate = ok(kernel.createPod(app, {
        name: "solo-sidecar",
        node: "node-1",
        containers: [{ name: "sidecar", ports: [{ port: 9090, protocol: "tcp" }] }],
      })).world;
      return { stack: host, separate, "stack-break": host, "stack-fix": host };
    }
    case "pause":
      return { life: host, compare: ok(kernel.killPause(host, "a")).world };
    case "hosts":
      return {
        same: scenario("same-range"),
        lab: scenario("gateway"),
        hostgw: scenario("host-gw"),
        calico: scenario("calico-bgp"),
        "hosts-fix": scenario("gateway"),
      };
    case "flat-overlay":
      return { nat: scenario("nat"), vxlan, mtu: vxlan, "flat-fix": scenario("nat") };
    case "summary":
      return { play: built("vxlan"), "sum-fix": built("host-gw") };
    case "services": {
      const services = scenario("services");
      return { svc: services, "services-fix": services, nodeport: services };
    }
  }
}

function deviceIds(world: World): string[] {
  return world.namespaces.flatMap((ns) => ns.devices.map((d) => `${ns.name}/${d.name}`)).sort();
}

// --- reading the page ----------------------------------------------------------------

interface VerdictAttrs {
  verdict: string | null;
  reason: string | null;
  src: string | null;
  namespace: string | null;
}

function expected(world: World, probe: Probe): VerdictAttrs {
  return attrsOf(ok(kernel.trace(world, probe)));
}

function attrsOf(t: kernel.Trace): VerdictAttrs {
  const v = t.verdict;
  return {
    verdict: v.kind,
    reason: v.kind === "dropped" ? v.drop.reason : null,
    src: v.kind === "delivered" ? v.src.toString() : null,
    namespace: v.namespace,
  };
}

async function verdictOf(page: Page, id: string): Promise<VerdictAttrs> {
  return await page.locator(`[data-testid="${id}-verdict"]`).evaluate((e) => ({
    verdict: e.getAttribute("data-verdict"),
    reason: e.getAttribute("data-reason"),
    src: e.getAttribute("data-src"),
    namespace: e.getAttribute("data-namespace"),
  }));
}

async function verdictIs(page: Page, id: string, want: VerdictAttrs, what: string) {
  await settle(() => verdictOf(page, id), want, `${what}: verdict of ${id}`);
}

async function statusOf(page: Page, id: string): Promise<string | null> {
  return await page.locator(`[data-testid="${id}-exercise"]`).getAttribute("data-status");
}

function noProblems(p: PageHandle, where: string) {
  assert.equal(p.errors, [], `${where}: errors`);
  assert.equal(p.externalRequests, [], `${where}: requests to other hosts`);
  assert.equal(p.httpErrors, [], `${where}: HTTP errors`);
}

async function shot(p: PageHandle, name: string) {
  await p.screenshot(`lessons-${name}`);
}

// --- the tests ---------------------------------------------------------------------------

const skip = browserSkipReason();
if (skip) {
  skipSuite("browser: lessons", skip);
} else {
  test("lessons: every page draws the devices its kernel world has, labelled in its language", async () => {
    for (const lang of LANGS) {
      for (const slug of SLUGS) {
        await using p = await open(lang, slug);
        const where = `${lang}/${slug}`;
        const worlds = diagramWorlds(slug);
        const shown = await p.page.$$eval(
          'svg[data-testid$="-diagram"]',
          (svgs) => svgs.map((s) => s.getAttribute("data-testid")!.replace(/-diagram$/, "")),
        );
        assert.equal(shown.sort(), Object.keys(worlds).sort(), `${where}: diagrams`);
        for (const [id, world] of Object.entries(worlds)) {
          const svg = p.page.locator(`svg[data-testid="${id}-diagram"]`);
          const devices = await svg.evaluate((s) =>
            [...s.querySelectorAll("[data-device]")].map((g) => g.getAttribute("data-device")!)
          );
          assert.equal(devices.sort(), deviceIds(world), `${where}: devices of ${id}`);
          const pods = await svg.evaluate((s) =>
            [...s.querySelectorAll('[data-box^="pod:"] .pn-strong')].map((t) => t.textContent ?? "")
          );
          const word = lang === "en" ? "pod " : "파드 ";
          assert.ok(pods.length > 0 && pods.every((t) => t.startsWith(word)), `${where}: ${pods}`);
        }
        assert.ok(
          await p.page.locator(`[data-testid$="-exercise"]`).count() >= 1,
          `${where}: no exercise`,
        );
        assert.ok(
          await p.page.locator('.pn-cell [data-testid$="-code"]').count() >= 1,
          `${where}: no editable cell`,
        );
        noProblems(p, where);
        await shot(p, `${lang}-${slug}`);
      }
    }
  });

  test("lessons: changing source or destination changes the verdict as the kernel predicts", async () => {
    const vxlan = scenario("vxlan");
    for (const lang of LANGS) {
      await using p = await open(lang, "index");
      for (const [from, to] of [["a", "c"], ["b", "a"], ["d", "b"], ["node-1", "c"], ["c", "d"]]) {
        await p.page.selectOption('[data-testid="journey-from"]', from);
        await p.page.selectOption('[data-testid="journey-to"]', to);
        await verdictIs(p.page, "journey", expected(vxlan, { from, to }), `${lang} ${from}→${to}`);
      }
      noProblems(p, `${lang}/index`);
    }
    const nat = scenario("nat");
    await using q = await open("en", "flat-overlay");
    await q.page.selectOption('[data-testid="nat-to"]', "192.168.0.11");
    await q.page.selectOption('[data-testid="nat-from"]', "c");
    await q.page.selectOption('[data-testid="nat-proto"]', "tcp");
    const published = { from: "c", to: "192.168.0.11", proto: "tcp" as const, port: 8080 };
    await verdictIs(q.page, "nat", expected(nat, published), "published port");
    assert.is(expected(nat, published).src, "192.168.0.12", "the receiver sees node-2's address");
    noProblems(q, "en/flat-overlay");
  });

  test("lessons: each breakage changes the verdict as the kernel predicts", async () => {
    const gateway = scenario("gateway");
    for (const lang of LANGS) {
      await using p = await open(lang, "hosts");
      for (const b of HOSTS.breakages) {
        await p.page.selectOption('[data-testid="lab-break"]', b.id);
        const world = ok(b.apply(gateway));
        await verdictIs(p.page, "lab", expected(world, { from: "a", to: "c" }), `${lang} ${b.id}`);
      }
      await shot(p, `${lang}-hosts-broken`);
      noProblems(p, `${lang}/hosts`);
    }

    const host = scenario("single-host");
    await using s = await open("en", "pod-stack");
    const probes: Probe[] = [
      { from: "a/sidecar", to: "127.0.0.1", proto: "tcp", port: 8080 },
      { from: "b", to: "a", proto: "tcp", port: 8080 },
      { from: "a", to: "b" },
    ];
    for (const b of POD_STACK.breakages) {
      await s.page.selectOption('[data-testid="stack-break-break"]', b.id);
      const world = ok(b.apply(host));
      for (const [i, probe] of probes.entries()) {
        const want = expected(world, probe);
        await settle(
          () =>
            s.page.locator(`[data-testid="stack-break-row-${i}"]`).evaluate((e) => ({
              verdict: e.getAttribute("data-verdict"),
              reason: e.getAttribute("data-reason"),
            })),
          { verdict: want.verdict, reason: want.reason },
          `pod-stack ${b.id} probe ${i}`,
        );
      }
    }
    noProblems(s, "en/pod-stack");

    const vxlan = scenario("vxlan");
    await using m = await open("ko", "flat-overlay");
    for (const b of FLAT.mtuBreakages) {
      await m.page.selectOption('[data-testid="mtu-break"]', b.id);
      for (const size of [1450, 1451, 1500]) {
        await m.page.locator('[data-testid="mtu-size"] input[type=number]').fill(String(size));
        const want = expected(ok(b.apply(vxlan)), { from: "a", to: "c", size, df: true });
        await verdictIs(m.page, "mtu", want, `mtu ${b.id} ${size}`);
      }
    }
    noProblems(m, "ko/flat-overlay");

    await using g = await open("en", "summary");
    const play = built("vxlan");
    const catalogue = playgroundBreakages(play);
    for (const b of catalogue) {
      await g.page.check(`[data-testid="play-break-${b.id}"]`);
      const world = applyBreakages(play, [b]).world;
      await verdictIs(
        g.page,
        "play",
        expected(world, { from: "a", to: "d", size: 84, df: true }),
        b.id,
      );
      const crossNode = kernel.natFreeReachability(world).counterexamples.filter((c) =>
        c.invariant === "nat-free-reachability" &&
        kernel.podNamed(world, c.from)?.node !== kernel.podNamed(world, c.to)?.node
      );
      await settle(
        () =>
          g.page.locator('[data-testid="rule-4-rule-nat-free-reachability"]').getAttribute(
            "data-holds",
          ),
        String(crossNode.length === 0),
        `summary rule 4 with ${b.id}`,
      );
      await g.page.uncheck(`[data-testid="play-break-${b.id}"]`);
    }
    noProblems(g, "en/summary");
  });

  test("lessons: a bad routing-table line is named, and the page keeps working", async () => {
    const gateway = scenario("gateway");
    const table = (world: World, ns: string) =>
      kernel.namespaceNamed(world, ns)!.routes.map((r) => kernel.formatRoute(r));
    for (const lang of LANGS) {
      await using p = await open(lang, "hosts");
      const lines = [...table(gateway, "gateway"), "10.244.9.0/24 vai 192.168.0.12 dev eth0"];
      const refused = kernel.setRoutes(gateway, "gateway", lines);
      assert.not.ok(refused.ok);
      const error = !refused.ok ? refused.error[0] : undefined;
      await p.page.locator('[data-testid="lab-table-gateway"]').fill(lines.join("\n"));
      await settle(
        () =>
          p.page.locator('[data-testid="lab-errors-gateway"] li[data-line]').evaluate((e) => ({
            line: e.getAttribute("data-line"),
            token: e.getAttribute("data-token"),
            text: e.textContent,
          })),
        {
          line: String(error!.line! + 1),
          token: error!.token!,
          text: `${lang === "en" ? "line" : "줄"} ${error!.line! + 1}: ${error!.message}`,
        },
        `${lang}: the error names line and token`,
      );
      assert.is(error!.token, "vai");
      // The rest of the page still works, on the last good table.
      await p.page.selectOption('[data-testid="lab-to"]', "d");
      await verdictIs(
        p.page,
        "lab",
        expected(gateway, { from: "a", to: "d" }),
        `${lang}: after the bad line`,
      );
      await shot(p, `${lang}-hosts-bad-line`);
      // A good edit applies at once: drop the bad line and the route to node-2's pods.
      const without = table(gateway, "gateway").filter((l) => !l.startsWith("10.244.2.0/24"));
      await p.page.locator('[data-testid="lab-table-gateway"]').fill(without.join("\n"));
      await settle(
        () => p.page.locator('[data-testid="lab-errors-gateway"] li').count(),
        0,
        `${lang}: errors clear`,
      );
      const edited = ok(kernel.setRoutes(gateway, "gateway", without));
      await verdictIs(
        p.page,
        "lab",
        expected(edited, { from: "a", to: "d" }),
        `${lang}: edited table`,
      );
      // A pod range the kernel refuses is named, and the lab keeps its last world.
      await p.page.locator("form:has(input[type=text]) input[type=text]").first().fill(
        "10.244.2.0/33",
      );
      await p.page.locator("form:has(input[type=text]) button").first().click();
      await settle(
        () => p.page.locator('[data-testid="ranges-problems"]').count(),
        1,
        `${lang}: bad range reported`,
      );
      assert.ok(await p.page.locator('[data-testid="lab-verdict"]').count() === 1);
      noProblems(p, `${lang}/hosts`);
    }
  });

  test("lessons: stepping hops walks the path, with outer and inner headers on the tunnel", async () => {
    const t = ok(kernel.trace(scenario("vxlan"), { from: "a", to: "c" }));
    for (const lang of LANGS) {
      await using p = await open(lang, "index");
      const last = t.hops.length - 1;
      assert.is(
        await p.page.locator('[data-testid="journey-stepper"]').getAttribute("data-hop"),
        String(last),
      );
      const tunnelHop = t.hops.findIndex((h) => h.after.vxlan !== undefined);
      await p.page.click(`[data-testid="journey-hop-${tunnelHop}"]`);
      await settle(
        () =>
          p.page.locator('svg[data-testid="journey-diagram"] .pn-path').getAttribute("data-hop"),
        String(tunnelHop),
        `${lang}: diagram follows the stepper`,
      );
      const title = await p.page.locator('[data-testid="journey-stepper"] .pn-hop-title')
        .textContent();
      assert.ok(title?.includes(t.hops[tunnelHop].at.name), `${lang}: ${title}`);
      assert.ok(
        await p.page.locator('[data-testid="journey-stepper"] th.pn-outer').count() >= 1,
        `${lang}: outer headers shown`,
      );
      const drawn = await p.page.locator('svg[data-testid="journey-diagram"] .pn-piece')
        .evaluateAll(
          (ps) => ps.map((e) => Number(e.getAttribute("data-piece-hop"))),
        );
      assert.ok(drawn.length > 0 && drawn.every((h) => h <= tunnelHop), `${lang}: pieces ${drawn}`);
      await p.page.click('[data-testid="journey-prev"]');
      await settle(
        () => p.page.locator('[data-testid="journey-stepper"]').getAttribute("data-hop"),
        String(tunnelHop - 1),
        `${lang}: previous hop`,
      );
      noProblems(p, `${lang}/index`);
    }
  });

  test("lessons: the pause lifecycle buttons do what the kernel does", async () => {
    const host = scenario("single-host");
    const ipOf = (w: World, pod: string) => kernel.podIp(w, kernel.podNamed(w, pod)!)?.toString();
    for (const lang of LANGS) {
      await using p = await open(lang, "pause");
      const row = (pod: string) =>
        p.page.locator(`[data-testid="life-pods"] tr[data-pod="${pod}"]`);
      await p.page.click('[data-testid="life-a-restart-app"]');
      const restarted = ok(kernel.restartContainer(host, "a/app")).world;
      await settle(
        () => row("a").getAttribute("data-ip"),
        ipOf(restarted, "a")!,
        `${lang}: restart`,
      );
      await p.page.click('[data-testid="life-a-kill-pause"]');
      const killed = ok(kernel.killPause(restarted, "a")).world;
      await settle(
        () => row("a").getAttribute("data-ip"),
        ipOf(killed, "a")!,
        `${lang}: kill pause`,
      );
      assert.is.not(ipOf(killed, "a"), ipOf(host, "a"));
      const first = ipOf(host, "a")!;
      await verdictIs(
        p.page,
        "life",
        expected(killed, { from: "b", to: first }),
        `${lang}: old IP`,
      );
      await p.page.click('[data-testid="life-a-delete"]');
      await settle(() => row("a").count(), 0, `${lang}: deleted`);
      await p.page.click('[data-testid="life-a-create"]');
      const again = ok(kernel.createPod(ok(kernel.deletePod(killed, "a")).world, {
        name: "a",
        node: "node-1",
        containers: [
          {
            name: "app",
            ports: [{ port: 8080, protocol: "tcp" }, { port: 8080, protocol: "udp" }],
          },
          { name: "sidecar", ports: [{ port: 9090, protocol: "tcp" }] },
        ],
      })).world;
      await settle(
        () => row("a").getAttribute("data-ip"),
        ipOf(again, "a")!,
        `${lang}: created again`,
      );
      await shot(p, `${lang}-pause-lifecycle`);
      noProblems(p, `${lang}/pause`);
    }
  });

  test("lessons: every fix-it exercise reports success after the fix", async () => {
    for (const lang of LANGS) {
      // 0. Overview: put node-1's route back.
      {
        await using p = await open(lang, "index");
        assert.is(await statusOf(p.page, "fix-it"), "open");
        const area = p.page.locator('[data-testid="fix-it-table-node-1"]');
        const line = "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink";
        await area.fill(`${await area.inputValue()}\n${line}`);
        const fixed = ok(kernel.addRoute(
          ok(kernel.deleteRoute(scenario("vxlan"), "node-1", "10.244.2.0/24")),
          "node-1",
          line,
        ));
        assert.ok(OVERVIEW.fix.check(fixed, lang).ok, "the kernel accepts the fix");
        await settle(() => statusOf(p.page, "fix-it"), "solved", `${lang}/index exercise`);
        await verdictIs(p.page, "fix-it", expected(fixed, { from: "a", to: "c" }), `${lang}/index`);
        await shot(p, `${lang}-index-fixed`);
        noProblems(p, `${lang}/index`);
      }
      // 1. The pod's stack: start the app again.
      {
        await using p = await open(lang, "pod-stack");
        assert.is(await statusOf(p.page, "stack-fix"), "open");
        await p.page.click('[data-testid="stack-fix-a-start-app"]');
        const fixed = ok(kernel.startContainer(
          ok(kernel.stopContainer(scenario("single-host"), "a/app")).world,
          "a/app",
        )).world;
        assert.ok(POD_STACK.fix.check(fixed, lang).ok);
        await settle(() => statusOf(p.page, "stack-fix"), "solved", `${lang}/pod-stack exercise`);
        noProblems(p, `${lang}/pod-stack`);
      }
      // 2. Pause: recreate pod x with a pause container.
      {
        await using p = await open(lang, "pause");
        assert.is(await statusOf(p.page, "pause-fix"), "open");
        await p.page.click('[data-testid="pause-fix-x-delete"]');
        await p.page.click('[data-testid="pause-fix-x-create"]');
        await settle(() => statusOf(p.page, "pause-fix"), "solved", `${lang}/pause exercise`);
        noProblems(p, `${lang}/pause`);
      }
      // 3. Hosts: the gateway's route to node-2's range.
      {
        await using p = await open(lang, "hosts");
        assert.is(await statusOf(p.page, "hosts-fix"), "open");
        const area = p.page.locator('[data-testid="hosts-fix-table-gateway"]');
        await area.fill(`${await area.inputValue()}\n10.244.2.0/24 via 192.168.0.12 dev eth0`);
        await settle(() => statusOf(p.page, "hosts-fix"), "solved", `${lang}/hosts exercise`);
        noProblems(p, `${lang}/hosts`);
      }
      // 4. Flat: a RETURN for pod-to-pod traffic before each MASQUERADE.
      {
        await using p = await open(lang, "flat-overlay");
        assert.is(await statusOf(p.page, "flat-fix"), "open");
        const keep = "-t nat -A POSTROUTING -s 172.17.0.0/16 -d 172.17.0.0/16 -j RETURN";
        let world = scenario("nat");
        for (const ns of ["node-1", "node-2"]) {
          const area = p.page.locator(`[data-testid="flat-fix-table-${ns}"]`);
          const lines = (await area.inputValue()).split("\n");
          await area.fill([keep, ...lines].join("\n"));
          world = ok(kernel.setIptables(world, ns, [keep, ...lines]));
        }
        assert.ok(FLAT.fix.check(world, lang).ok);
        await settle(() => statusOf(p.page, "flat-fix"), "solved", `${lang}/flat-overlay exercise`);
        await verdictIs(
          p.page,
          "flat-fix",
          expected(world, { from: "a", to: "c" }),
          `${lang}/flat`,
        );
        noProblems(p, `${lang}/flat-overlay`);
      }
      // 5. Summary: node-2's route to node-1's range via node-1.
      {
        await using p = await open(lang, "summary");
        assert.is(await statusOf(p.page, "sum-fix"), "open");
        const area = p.page.locator('[data-testid="sum-fix-table-node-2"]');
        const lines = (await area.inputValue()).split("\n").map((l) =>
          l.startsWith("10.244.1.0/24 via 192.168.0.13")
            ? "10.244.1.0/24 via 192.168.0.11 dev eth0"
            : l
        );
        await area.fill(lines.join("\n"));
        const fixed = ok(kernel.setRoutes(built("host-gw"), "node-2", lines));
        assert.ok(SUMMARY.fix.check(fixed, lang).ok);
        await settle(() => statusOf(p.page, "sum-fix"), "solved", `${lang}/summary exercise`);
        await shot(p, `${lang}-summary-fixed`);
        noProblems(p, `${lang}/summary`);
      }
    }
  });
}

if (!skip) {
  test("lessons: services — the chain walk, each endpoint's chance, the reply from the ClusterIP, the hairpin", async () => {
    const services = scenario("services");
    const nat = (t: kernel.Trace) =>
      t.hops.flatMap((h) => h.steps).find((s) => s.kind === "nat" && s.before.dst !== s.after.dst);
    for (const lang of LANGS) {
      const where = `${lang}/services`;
      await using p = await open(lang, "services");
      // The DNS query as the page opens: walk, chances, reply.
      const dns: Probe = { from: "a", to: "10.96.0.10", proto: "udp", port: 53 };
      const t = ok(kernel.trace(services, dns));
      const step = nat(t);
      assert.ok(step?.kind === "nat");
      if (step?.kind !== "nat") return;
      await verdictIs(p.page, "svc", expected(services, dns), `${where} dns`);
      assert.is(
        Number(await p.page.locator('[data-testid="svc-walk"]').getAttribute("data-rules")),
        (step.passed?.length ?? 0) + 1,
        `${where}: every rule passed is listed`,
      );
      const rows = await p.page.locator('[data-testid="svc-choices"] tbody tr').evaluateAll((
        trs,
      ) =>
        trs.map((tr) => ({
          to: tr.getAttribute("data-endpoint"),
          chance: Number(tr.getAttribute("data-chance")),
        }))
      );
      assert.equal(rows, step.choices!.map((c) => ({ to: c.to, chance: c.probability })));
      await verdictIs(p.page, "svc-reply", attrsOf(t.reply!), `${where} reply`);
      assert.is(
        await p.page.locator('[data-testid="svc-reply-verdict"]').getAttribute("data-src"),
        "10.96.0.10",
        `${where}: the answer comes from the ClusterIP`,
      );
      // The branch picks the endpoint; an endpoint on a's own bridge loses the reply.
      await p.page.selectOption('[data-testid="svc-branch"]', "10.244.2.3");
      await verdictIs(p.page, "svc", expected(services, { ...dns, branch: "10.244.2.3" }), where);
      await p.page.selectOption('[data-testid="svc-to"]', "10.96.0.20");
      await p.page.selectOption('[data-testid="svc-proto"]', "tcp");
      await p.page.selectOption('[data-testid="svc-port"]', "80");
      await p.page.selectOption('[data-testid="svc-branch"]', "10.244.1.3");
      const same: Probe = {
        from: "a",
        to: "10.96.0.20",
        proto: "tcp",
        port: 80,
        branch: "10.244.1.3",
      };
      assert.is(expected(services, same).reason, "reply-lost");
      await verdictIs(p.page, "svc", expected(services, same), `${where} same bridge`);
      // The hairpin cell: c reaches itself without kube-proxy's masquerade, a martian.
      const node2 = kernel.namespaceNamed(services, "node-2")!;
      const masq = node2.netfilter.rules.find((r) =>
        r.chain === "KUBE-POSTROUTING" && r.target.kind === "MASQUERADE"
      )!;
      const broken = ok(kernel.deleteIptables(services, "node-2", masq.text));
      assert.is(expected(broken, SERVICES.hairpin).reason, "martian-source");
      await verdictIs(
        p.page,
        "services-fix",
        expected(broken, SERVICES.hairpin),
        `${where} hairpin`,
      );
      // resolv.conf and NodePort.
      assert.is(
        (await p.page.locator('[data-testid="services-resolv"]').innerText()).trim(),
        resolvConf(services)!.trim(),
      );
      const np: Probe = { from: "client", to: "192.168.0.12", proto: "tcp", port: 30080 };
      await verdictIs(p.page, "nodeport", expected(services, np), `${where} nodeport`);
      assert.is(
        await p.page.locator('[data-testid="nodeport-reply-verdict"]').getAttribute("data-src"),
        "192.168.0.12",
        `${where}: the NodePort answer comes from the node the client asked`,
      );
      noProblems(p, where);
      await shot(p, `${lang}-services`);
    }
  });
}

// uvu collects tests only when a suite's run() is called; see site.test.ts.
test.run();
