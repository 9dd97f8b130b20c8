/**
 * Browser-test harness for the built podnet site.
 *
 * - {@linkcode buildSite} runs `deno task build` once per process.
 * - {@linkcode serveDist} serves `dist/` on 127.0.0.1 with Framework's clean URLs.
 * - {@linkcode launchBrowser} starts Debian's Chromium through playwright-core.
 * - {@linkcode openPage} opens a page, aborts and records every request that
 *   leaves 127.0.0.1, and records console errors and uncaught page errors.
 * - {@linkcode findExternalUrls} scans built files for URLs of other hosts.
 * - {@linkcode settle} waits until the page shows what a test expects.
 *
 * Every resource has `close()` and `[Symbol.asyncDispose]`, so a test can
 * write `await using server = serveDist(dist)` and have it shut down even
 * when an assertion throws.
 *
 * @module
 */
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { fileURLToPath } from "node:url";
import * as assert from "uvu/assert";

/** The repository root (two folders above this file). */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /\/$/,
  "",
);

/** Where the site is built (Framework's default output folder). */
export const DIST_DIR = `${REPO_ROOT}/dist`;

/** Where {@linkcode PageHandle.screenshot} writes its PNG files. */
export const SCREENSHOT_DIR = `${REPO_ROOT}/artifacts/screenshots`;

/**
 * Debian's Chromium (`apt-get install -y chromium`), or the binary named by
 * the environment variable `PODNET_CHROMIUM`; the harness never downloads a browser.
 */
export const CHROMIUM_PATH: string = Deno.env.get("PODNET_CHROMIUM") || "/usr/bin/chromium";

/** Flags from shared/RECIPES.md; playwright-core adds `--headless` and a fresh `--user-data-dir`. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/**
 * Why browser tests cannot run here, or `null` when they can.
 *
 * @returns A human-readable reason to skip, such as a missing Chromium binary.
 * @example
 * ```ts
 * const reason = browserSkipReason();
 * if (reason) console.log(`skip: ${reason}`);
 * ```
 */
export function browserSkipReason(): string | null {
  try {
    const info = Deno.statSync(CHROMIUM_PATH);
    return info.isFile ? null : `${CHROMIUM_PATH} is not a file`;
  } catch {
    return `${CHROMIUM_PATH} is missing (install it with: apt-get install -y chromium)`;
  }
}

let building: Promise<string> | undefined;

/**
 * Builds the site with `deno task build`, once per process; later calls
 * return the same promise.
 *
 * @returns The absolute path of the output folder (`dist/`).
 * @example
 * ```ts
 * const dist = await buildSite();
 * ```
 */
export function buildSite(): Promise<string> {
  building ??= (async () => {
    const started = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "build"],
      cwd: REPO_ROOT,
      env: { OBSERVABLE_TELEMETRY_DISABLE: "true", NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (!out.success) {
      throw new Error(`deno task build failed (exit ${out.code}):\n${text}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`  built the site into ${DIST_DIR} in ${seconds} s`);
    return DIST_DIR;
  })();
  return building;
}

/** A running static file server. */
export interface StaticServer extends AsyncDisposable {
  /** The base URL, such as `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** The port the server listens on. */
  readonly port: number;
  /** Every path requested so far, in order. */
  readonly requests: readonly string[];
  /** Stops listening and waits for open connections to finish. Safe to call twice. */
  close(): Promise<void>;
}

/** Content types by file extension; anything else is served as octet-stream. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
  ".tsv": "text/tab-separated-values; charset=utf-8",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".otf": "font/otf",
  ".pdf": "application/pdf",
  ".zip": "application/zip",
  ".parquet": "application/vnd.apache.parquet",
  ".arrow": "application/vnd.apache.arrow.file",
};

/**
 * The content type for a file name, from {@linkcode MIME_TYPES}.
 *
 * @param path A file path or name.
 * @returns The content type.
 * @example
 * ```ts
 * mimeType("en/pause.html"); // "text/html; charset=utf-8"
 * ```
 */
export function mimeType(path: string): string {
  const dot = path.lastIndexOf(".");
  const ext = dot > path.lastIndexOf("/") ? path.slice(dot).toLowerCase() : "";
  return MIME_TYPES[ext] ?? "application/octet-stream";
}

/**
 * The candidate files for a URL path under Framework's clean URLs, in order:
 * `/` → `index.html`, `/en/` → `en/index.html`, `/en/pause` → `en/pause` then
 * `en/pause.html` then `en/pause/index.html`. Returns `null` for a path that
 * tries to leave the served folder.
 *
 * @param pathname A URL path, percent-encoded as it arrives.
 * @returns Relative file paths to try, or `null`.
 * @example
 * ```ts
 * cleanUrlCandidates("/en/pause"); // ["en/pause", "en/pause.html", "en/pause/index.html"]
 * ```
 */
export function cleanUrlCandidates(pathname: string): string[] | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  const parts = decoded.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p.includes("\\") || p.includes("\0"))) return null;
  const rel = parts.join("/");
  if (rel === "" || decoded.endsWith("/")) return [rel === "" ? "index.html" : `${rel}/index.html`];
  return [rel, `${rel}.html`, `${rel}/index.html`];
}

async function readFileIfAny(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? await Deno.readFile(path) : null;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw error;
  }
}

/**
 * Serves a folder on 127.0.0.1 on a free port, with Framework's clean URLs
 * (see {@linkcode cleanUrlCandidates}) and `404.html` (when present) for misses.
 *
 * @param dir The folder to serve, usually the result of {@linkcode buildSite}.
 * @returns The running server; close it (or `await using` it) when done.
 * @example
 * ```ts
 * await using server = serveDist(await buildSite());
 * console.log(server.url); // http://127.0.0.1:PORT/
 * ```
 */
export function serveDist(dir: string): StaticServer {
  const root = dir.replace(/\/$/, "");
  const requests: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, async (request) => {
    const { pathname } = new URL(request.url);
    requests.push(pathname);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const candidates = cleanUrlCandidates(pathname);
    if (candidates === null) return new Response("Bad path", { status: 400 });
    for (const rel of candidates) {
      const body = await readFileIfAny(`${root}/${rel}`);
      if (body !== null) {
        return new Response(request.method === "HEAD" ? null : body, {
          headers: { "content-type": mimeType(rel), "cache-control": "no-store" },
        });
      }
    }
    const notFound = await readFileIfAny(`${root}/404.html`);
    return new Response(notFound ?? "Not found", {
      status: 404,
      headers: { "content-type": notFound ? MIME_TYPES[".html"] : MIME_TYPES[".txt"] },
    });
  });
  const port = server.addr.port;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= server.shutdown());
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A running Chromium. */
export interface BrowserHandle extends AsyncDisposable {
  /** The playwright-core browser. */
  readonly browser: Browser;
  /** Closes every context and the browser process. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Launches Debian's Chromium headless with the flags in {@linkcode CHROMIUM_ARGS}.
 * playwright-core gives every launch a fresh temporary `--user-data-dir`
 * (and refuses one passed in `args`), so no state survives between runs.
 *
 * @returns The browser; close it (or `await using` it) when done.
 * @throws When Chromium is missing: check {@linkcode browserSkipReason} first.
 * @example
 * ```ts
 * await using chrome = await launchBrowser();
 * ```
 */
export async function launchBrowser(): Promise<BrowserHandle> {
  const reason = browserSkipReason();
  if (reason) throw new Error(`Cannot launch Chromium: ${reason}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= browser.close());
  return { browser, close, [Symbol.asyncDispose]: close };
}

/** How to open a page: the viewport and colour scheme of its fresh browser context. */
export interface OpenPageOptions {
  /** Viewport in CSS pixels; default 1280×800. */
  readonly viewport?: { readonly width: number; readonly height: number };
  /** Emulated `prefers-color-scheme`; default `"light"`. */
  readonly colorScheme?: "light" | "dark";
  /** Milliseconds to wait for the page to settle; default 15000. */
  readonly timeout?: number;
}

/** An open page and what it did while loading. */
export interface PageHandle extends AsyncDisposable {
  /** The playwright-core page, for queries and clicks. */
  readonly page: Page;
  /** Its own browser context (fresh storage, its own viewport and colour scheme). */
  readonly context: BrowserContext;
  /** Console errors (`console: …`) and uncaught exceptions (`pageerror: …`), in order. */
  readonly errors: string[];
  /** Every request to a host other than 127.0.0.1 (each was aborted). */
  readonly externalRequests: string[];
  /** Responses from 127.0.0.1 with status 400 or more, as `STATUS URL`. */
  readonly httpErrors: string[];
  /**
   * Saves a full-page PNG as `artifacts/screenshots/<name>.png`.
   *
   * @param name File name without extension; `/` is replaced by `_`.
   * @returns The absolute path of the PNG.
   */
  screenshot(name: string): Promise<string>;
  /** Closes the page's context. Safe to call twice. */
  close(): Promise<void>;
}

/** True for URLs that the site may load: 127.0.0.1 over HTTP(S), and inline data. */
function isLocal(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === "data:" || parsed.protocol === "blob:" || url === "about:blank") {
    return true;
  }
  return (parsed.protocol === "http:" || parsed.protocol === "https:" ||
    parsed.protocol === "ws:") && parsed.hostname === "127.0.0.1";
}

/**
 * Opens `url` in a fresh context of `browser`, waits until the network is
 * idle, and records errors and external requests (which are aborted).
 *
 * @param browser A browser from {@linkcode launchBrowser}.
 * @param url The page to open, usually on a {@linkcode serveDist} server.
 * @param options Viewport, colour scheme and timeout.
 * @returns The page handle; close it (or `await using` it) when done.
 * @example
 * ```ts
 * await using p = await openPage(chrome, `${server.url}en/`);
 * assert.equal(p.errors, []);
 * await p.screenshot("en-index");
 * ```
 */
export async function openPage(
  browser: BrowserHandle,
  url: string,
  options: OpenPageOptions = {},
): Promise<PageHandle> {
  const { viewport = { width: 1280, height: 800 }, colorScheme = "light", timeout = 15_000 } =
    options;
  const context = await browser.browser.newContext({
    viewport,
    colorScheme,
    serviceWorkers: "block",
  });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= context.close());
  const errors: string[] = [];
  const externalRequests: string[] = [];
  const httpErrors: string[] = [];
  try {
    await context.route("**/*", (route) => {
      const requested = route.request().url();
      if (isLocal(requested)) return route.continue();
      externalRequests.push(requested);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    // WebSockets bypass routing: record any that leaves 127.0.0.1.
    page.on("websocket", (ws) => {
      if (!isLocal(ws.url())) externalRequests.push(ws.url());
    });
    page.on("console", (message) => {
      if (message.type() === "error") {
        const where = message.location();
        errors.push(
          `console: ${message.text()}${where.url ? ` (${where.url}:${where.lineNumber})` : ""}`,
        );
      }
    });
    page.on("pageerror", (error) => errors.push(`pageerror: ${error.stack ?? error.message}`));
    page.on("response", (response) => {
      if (response.status() >= 400 && isLocal(response.url())) {
        httpErrors.push(`${response.status()} ${response.url()}`);
      }
    });
    await page.goto(url, { waitUntil: "networkidle", timeout });
    // Let Framework's runtime settle cells that resolve after the last request.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
    return {
      page,
      context,
      errors,
      externalRequests,
      httpErrors,
      async screenshot(name: string): Promise<string> {
        await Deno.mkdir(SCREENSHOT_DIR, { recursive: true });
        const path = `${SCREENSHOT_DIR}/${name.replaceAll("/", "_")}.png`;
        await page.screenshot({ path, fullPage: true, animations: "disabled" });
        return path;
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A URL of another host found in a built file. */
export interface ExternalUrl {
  /** The file, relative to the scanned folder. */
  readonly file: string;
  /** The URL as written. */
  readonly url: string;
}

/**
 * URLs that may appear in built files although they name another host:
 * XML namespace identifiers, which browsers compare as strings and never
 * fetch. Seen in Framework's theme CSS (SVG data URLs), in htl (namespaces
 * for `svg`, `xlink`, `xmlns`, `xml`) and in our inline SVG favicon.
 */
export const ALLOWED_EXTERNAL_URLS: readonly string[] = [
  "http://www.w3.org/2000/svg",
  "http://www.w3.org/1999/xlink",
  "http://www.w3.org/1999/xhtml",
  "http://www.w3.org/2000/xmlns/",
  "http://www.w3.org/XML/1998/namespace",
];

function percentDecode(text: string): string {
  return text.replace(
    /%([0-9A-Fa-f]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
}

async function* walk(dir: string, prefix = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory) yield* walk(`${dir}/${entry.name}`, rel);
    else if (entry.isFile) yield rel;
  }
}

/**
 * Scans the HTML, JavaScript and CSS files under `dir` for `http://` and
 * `https://` URLs whose host is not 127.0.0.1 and that are not in
 * {@linkcode ALLOWED_EXTERNAL_URLS}. URLs on JavaScript comment lines are ignored:
 * they cannot cause a request.
 *
 * @param dir The built site, usually `dist/`.
 * @returns Every offending URL with its file, in file order.
 * @example
 * ```ts
 * assert.equal(await findExternalUrls(await buildSite()), []);
 * ```
 */
export async function findExternalUrls(dir: string): Promise<ExternalUrl[]> {
  const found: ExternalUrl[] = [];
  const files: string[] = [];
  for await (const rel of walk(dir)) if (/\.(html|js|mjs|css)$/.test(rel)) files.push(rel);
  files.sort();
  for (const file of files) {
    const text = await Deno.readTextFile(`${dir}/${file}`);
    const isJs = /\.m?js$/.test(file);
    for (const line of text.split("\n")) {
      if (isJs && /^\s*(\/\/|\/\*|\*)/.test(line)) continue;
      // Decode percent-escapes (twice, for double encoding) so that URLs
      // inside data: URLs are seen too.
      const readable = percentDecode(percentDecode(line));
      for (const match of readable.matchAll(/https?:\/\/[^\s"'`()<>\\]+/g)) {
        const url = match[0].replace(/[.,;]+$/, "");
        if (ALLOWED_EXTERNAL_URLS.includes(url)) continue;
        if (/^https?:\/\/127\.0\.0\.1(:\d+)?(\/|$)/.test(url)) continue;
        found.push({ file, url });
      }
    }
  }
  return found;
}

/**
 * Every built page as a site path, from the `.html` files under `dir`:
 * `index.html` → `/`, `en/index.html` → `/en/`, `en/pause.html` → `/en/pause`.
 * Skips `404.html`.
 *
 * @param dir The built site, usually `dist/`.
 * @returns Sorted site paths.
 * @example
 * ```ts
 * await builtPages(dist); // ["/", "/en/", "/ko/"]
 * ```
 */
export async function builtPages(dir: string): Promise<string[]> {
  const pages: string[] = [];
  for await (const rel of walk(dir)) {
    if (!rel.endsWith(".html") || rel === "404.html" || rel.startsWith("_")) continue;
    const path = `/${rel.slice(0, -".html".length)}`;
    pages.push(path.endsWith("/index") ? path.slice(0, -"index".length) : path);
  }
  return pages.sort();
}

/**
 * Waits until `read` returns something deeply equal to `want` (Framework
 * re-renders asynchronously), then asserts it: the assertion shows the last
 * value read when the page never got there.
 *
 * @param read Reads the page (a rejected read counts as `undefined`).
 * @param want The expected value.
 * @param what The assertion's message.
 * @param ms How long to wait, in milliseconds (default 8000).
 * @example
 * ```ts
 * await settle(() => page.locator("#x").getAttribute("data-status"), "done", "x is done");
 * ```
 */
export async function settle<T>(
  read: () => Promise<T>,
  want: T,
  what: string,
  ms = 8000,
): Promise<void> {
  const until = performance.now() + ms;
  let got: T = await read().catch(() => undefined as T);
  while (JSON.stringify(got) !== JSON.stringify(want) && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    got = await read().catch(() => undefined as T);
  }
  assert.equal(got, want, what);
}
