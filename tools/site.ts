/**
 * `deno task build` and `deno task dev`: the course site.
 *
 * Both first bundle the notebook worker (`src/notebook/worker.ts` and the
 * kernel it runs) into one script, `lessons/sandbox/cell-worker.js`: the cell
 * sandbox may fetch nothing, so the page hands it this one file, which it
 * starts every cell's worker from. Then:
 *
 * - `build` runs Observable Framework's build into `dist/` and prints how
 *   much JavaScript each page loads before the reader does anything, raw and
 *   gzip, against the budget (see tools/sizes.ts);
 * - `dev` keeps the bundle up to date (`deno bundle --watch`) beside
 *   Framework's preview server, and stops both on Ctrl-C.
 *
 * @module
 */
import { pageSizes, sizeReport } from "./sizes.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const BUNDLE = "lessons/sandbox/cell-worker.js";
const FRAMEWORK = "npm:@observablehq/framework@1.13.4";

function bundleArgs(watch: boolean): string[] {
  return [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "iife",
    "--minify",
    "--keep-names",
    ...(watch ? ["--watch"] : []),
    "-o",
    BUNDLE,
    "src/notebook/worker.ts",
  ];
}

function deno(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { OBSERVABLE_TELEMETRY_DISABLE: "true" },
    stdin: "null",
  }).spawn();
}

async function must(args: string[], what: string) {
  const { code } = await deno(args).status;
  if (code !== 0) {
    console.error(`deno task: ${what} failed (exit ${code})`);
    Deno.exit(code);
  }
}

/**
 * What Framework writes and a reader must not get: a viewport that forbids
 * zooming (`maximum-scale=1`, an accessibility failure) and an `<html>`
 * without a language. Every built page gets zoom back and `lang` (`ko` for
 * the Korean lessons, `en` otherwise; the landing page marks its Korean
 * parts itself).
 *
 * @param dir The built site.
 */
function fixPages(dir: string) {
  const walk = (sub: string) => {
    for (const e of Deno.readDirSync(`${dir}/${sub}`)) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory && !rel.startsWith("_")) walk(rel);
      if (!e.isFile || !e.name.endsWith(".html")) continue;
      const path = `${dir}/${rel}`;
      const lang = rel.startsWith("ko/") ? "ko" : "en";
      const html = Deno.readTextFileSync(path)
        .replace(/,\s*maximum-scale=1(\.0)?/, "")
        .replace(/<html(?![^>]*\blang=)/, `<html lang="${lang}"`);
      Deno.writeTextFileSync(path, html);
    }
  };
  walk("");
}

async function build() {
  await must(bundleArgs(false), "bundling the notebook worker");
  await must(["run", "-A", FRAMEWORK, "build", "--config", "observablehq.config.ts"], "build");
  fixPages(`${ROOT}/dist`);
  console.log(`\n${sizeReport(pageSizes(`${ROOT}/dist`))}`);
}

async function dev() {
  await must(bundleArgs(false), "bundling the notebook worker");
  const children = [
    deno(bundleArgs(true)),
    deno(["run", "-A", FRAMEWORK, "preview", "--config", "observablehq.config.ts", "--no-open"]),
  ];
  const stop = () => {
    for (const c of children) {
      try {
        c.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, stop);
  }
  // When one stops (Ctrl-C, or a crash), stop the other too.
  const first = await Promise.race(children.map((c) => c.status));
  stop();
  await Promise.all(children.map((c) => c.status));
  Deno.exit(first.code);
}

const command = Deno.args[0];
if (command === "build") await build();
else if (command === "dev") await dev();
else {
  console.error("usage: deno run -A tools/site.ts build|dev");
  Deno.exit(2);
}
