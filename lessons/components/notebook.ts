/**
 * Notebook cells: an experiment a reader edits and runs in the page. The
 * code (a function body with `kernel` and `world` in scope) runs in the cell
 * sandbox (sandbox.ts) — a worker of its own per run, inside an opaque-origin
 * iframe that may fetch nothing — never in the page. A run that takes too
 * long is stopped; syntax and runtime errors are marked at their line and
 * column. The code shows as highlighted text until the reader focuses the
 * cell or runs it; then the editor (editor.ts, CodeMirror) loads.
 *
 * Edits are kept per cell in localStorage; Reset brings back the lesson's
 * code. Share puts the code in the URL fragment. Code from a link is shown
 * under a banner, scrolled to, and not run until the reader presses Run; it
 * is saved only if the reader keeps it, and kept code stays marked as coming
 * from a link (cellstore.ts).
 *
 * The element is a view: its `value` is the latest outcome (the same shape
 * `runCell` returns), and it fires `input` after every run, so exercises
 * downstream read the world the reader's cell produced.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { World } from "../kernel/mod.js";
import type { CellError } from "../kernel/notebook/protocol.js";
import { boundMessage } from "../kernel/notebook/limits.js";
import { decodeShare, encodeShare } from "../kernel/notebook/share.js";
import { functionBody } from "../kernel/notebook/compile.js";
import { cellError, type CellOutcome } from "./cell.js";
import { traceOf } from "./explore.js";
import { verdictBox } from "./trace.js";
import { type Lang, type Phrase, say } from "./i18n.js";
import { cellSandbox } from "./sandbox.js";
import { codeView } from "./codeview.js";
import type { CellEditor } from "./editor.js";
import { type CellStore, cellStore } from "./cellstore.js";
import { followLink } from "./linked.js";

/** What a notebook cell needs. */
export interface NotebookCellOptions {
  /** Unique on the page: lower-case letters, digits and `-`. Used in storage keys, links and test ids. */
  readonly id: string;
  readonly lang: Lang;
  /** The lesson's code: a function `({ kernel, world }) => ...` or its body as text. */
  readonly code: string | ((api: { kernel: typeof kernel; world: World }) => unknown);
  /** The world the cell starts from. */
  readonly base: World;
  /** Draws an outcome (a world and probe, or an error) with the lesson's components. */
  readonly render: (outcome: CellOutcome) => Node;
  /** Longest run before the cell is stopped, in milliseconds (default 2000). */
  readonly timeoutMs?: number;
}

const T = {
  run: { en: "Run", ko: "실행" },
  reset: { en: "Reset", ko: "되돌리기" },
  share: { en: "Share", ko: "공유" },
  running: { en: "Running in the sandbox…", ko: "샌드박스에서 실행 중…" },
  ran: { en: "Ran in", ko: "실행 시간" },
  edited: { en: "edited (kept in this browser)", ko: "수정됨 (이 브라우저에 저장됨)" },
  lesson: { en: "the lesson's code", ko: "강의의 코드" },
  fromLink: { en: "from a shared link (not saved)", ko: "공유 링크의 코드 (저장 안 됨)" },
  keptLink: {
    en: "kept from a shared link (saved in this browser)",
    ko: "공유 링크에서 가져와 보관한 코드 (이 브라우저에 저장됨)",
  },
  shared: {
    en:
      "This code came from a shared link. It has not run: press Run to run it in the sandbox, which cannot reach the network, this page or its storage. It is not saved unless you keep it; your own code for this cell is still there.",
    ko:
      "이 코드는 공유 링크에서 왔습니다. 아직 실행하지 않았습니다. 실행을 누르면 네트워크, 이 페이지, 저장소에 접근할 수 없는 샌드박스에서 실행됩니다. 보관하지 않으면 저장되지 않으며, 이 셀에 대한 내 코드는 그대로 남아 있습니다.",
  },
  keep: { en: "Keep this code", ko: "이 코드 보관" },
  discard: { en: "Back to my code", ko: "내 코드로 돌아가기" },
  notRun: {
    en: "The shared code has not run yet. Read it, then press Run.",
    ko: "공유된 코드는 아직 실행하지 않았습니다. 읽어 본 뒤 실행을 누르세요.",
  },
  stopped: {
    en:
      "Stopped after {s} s: the cell did not finish (an endless loop?). The page is fine; edit and run again.",
    ko:
      "{s}초 후 중단: 셀이 끝나지 않았습니다 (무한 루프?). 페이지는 괜찮으니 고쳐서 다시 실행하세요.",
  },
  at: { en: "Line {l}, column {c}", ko: "{l}행 {c}열" },
  syntax: { en: "Syntax error", ko: "문법 오류" },
  runtime: { en: "Error while running", ko: "실행 중 오류" },
  result: { en: "Unexpected result", ko: "예상과 다른 결과" },
  base: { en: "The lesson's world did not load", ko: "강의의 월드를 불러오지 못함" },
  timeout: { en: "Too slow", ko: "너무 오래 걸림" },
  limit: { en: "Too big", ko: "너무 큼" },
  sandbox: { en: "The sandbox failed", ko: "샌드박스 오류" },
  copied: { en: "Link copied; it is also here:", ko: "링크를 복사했습니다. 여기에도 있습니다:" },
  link: { en: "Link to this cell's code:", ko: "이 셀 코드의 링크:" },
  help: { en: "What can I call here?", ko: "여기서 무엇을 쓸 수 있나요?" },
  keys: { en: "Ctrl/⌘-Enter runs the cell.", ko: "Ctrl/⌘-Enter로 셀을 실행합니다." },
  code: { en: "code of cell {id}", ko: "{id} 셀의 코드" },
  world: {
    en: "The cell returned a world with {n} nodes and {p} pods (no probe to trace).",
    ko: "셀이 노드 {n}개, 파드 {p}개인 월드를 돌려주었습니다 (추적할 프로브 없음).",
  },
} satisfies Record<string, Phrase>;

const fill = (text: string, values: Record<string, string | number>) =>
  text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));

/** The functions a cell most often needs, with what they do. docs/cell-api.md lists them all. */
export const CELL_API: readonly { readonly call: string; readonly does: Phrase }[] = [
  {
    call: "kernel.trace(world, { from, to, proto?, port?, size?, df? })",
    does: {
      en: "trace one packet; a Result with the trace",
      ko: "패킷 하나를 추적; 추적 결과를 담은 Result",
    },
  },
  {
    call: 'kernel.deleteRoute(world, ns, "10.244.2.0/24")',
    does: {
      en: "ip route del; a Result with the new world",
      ko: "ip route del; 새 월드를 담은 Result",
    },
  },
  {
    call: 'kernel.addRoute(world, ns, "10.244.2.0/24 via 192.168.0.12")',
    does: { en: "ip route add", ko: "ip route add" },
  },
  {
    call: "kernel.setRoutes(world, ns, [lines])",
    does: { en: "replace a whole routing table", ko: "라우팅 테이블 전체 교체" },
  },
  {
    call: "kernel.setIpForward(world, ns, false)",
    does: { en: "sysctl net.ipv4.ip_forward", ko: "sysctl net.ipv4.ip_forward" },
  },
  {
    call: 'kernel.addIptables(world, ns, "-P FORWARD DROP")',
    does: { en: "an iptables rule or policy", ko: "iptables 규칙이나 정책" },
  },
  {
    call: "kernel.setLinkUp(world, { namespace, device }, false)",
    does: { en: "ip link set DEV down", ko: "ip link set DEV down" },
  },
  {
    call: "kernel.setMtu(world, { namespace, device }, 1400)",
    does: { en: "ip link set DEV mtu N", ko: "ip link set DEV mtu N" },
  },
  {
    call: 'kernel.restartContainer(world, "a/app") / killPause / deletePod / createPod',
    does: {
      en: "pod lifecycle; a Result with { world, events }",
      ko: "파드 생명주기; { world, events }를 담은 Result",
    },
  },
  {
    call: "kernel.checkInvariants(world)",
    does: {
      en: "the network model's rules, with counterexamples",
      ko: "네트워크 모델의 규칙과 반례",
    },
  },
  {
    call: "kernel.unwrap(result)",
    does: {
      en: "the value of a Result, or throw its error (the cell shows the error's message)",
      ko: "Result의 값, 아니면 오류를 던짐 (셀에 오류 메시지가 보임)",
    },
  },
  {
    call: 'return { world, probe: { from: "a", to: "c" } }',
    does: { en: "what the cell gives back to the page", ko: "셀이 페이지에 돌려주는 것" },
  },
];

function lessonCode(code: NotebookCellOptions["code"]): string {
  if (typeof code === "string") return code;
  return functionBody(code.toString()) ?? code.toString();
}

function errorText(error: CellError, lang: Lang, timeoutMs: number): string {
  if (error.kind === "timeout") return fill(say(lang, T.stopped), { s: timeoutMs / 1000 });
  const where = error.line
    ? `${fill(say(lang, T.at), { l: error.line, c: error.column ?? 1 })}: `
    : "";
  return `${say(lang, T[error.kind])} — ${where}${boundMessage(error.message)}`;
}

/**
 * The short result shown under a cell: the verdict of its probe, or the
 * error. The lesson's own diagram and trace view below show the rest.
 *
 * @param outcome The cell's outcome.
 * @param options Language and test id.
 * @returns An element.
 */
export function cellSummary(
  outcome: CellOutcome,
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang, id } = options;
  if (!outcome.ok) return cellError(outcome, lang, id);
  if (!outcome.probe) {
    const counts = { n: outcome.world.nodes.length, p: outcome.world.pods.length };
    return html`<p data-testid=${`${id}-world`}>${fill(say(lang, T.world), counts)}</p>`;
  }
  const t = traceOf(outcome.world, outcome.probe);
  if (t.error !== undefined) {
    return cellError({ name: outcome.name, error: t.error }, lang, id);
  }
  return verdictBox(t.trace, { lang, id });
}

/** Where the cell's code came from, as the origin label says. */
type Origin = "lesson" | "edited" | "link" | "kept";

/**
 * An editable, runnable experiment cell.
 *
 * @param options The cell's id, language, code, base world and renderer.
 * @returns An element whose `value` is the latest outcome.
 */
export function notebookCell(options: NotebookCellOptions): HTMLElement & { value: CellOutcome } {
  const { id, lang } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const original = lessonCode(options.code);
  const store: CellStore = cellStore(id);
  const sandbox = cellSandbox();
  let baseText: string | undefined;
  const label = fill(say(lang, T.code), { id });

  const own = () => store.read() ?? { code: original, fromLink: false };
  const linkCode = () => {
    const shared = decodeShare(location.hash);
    return shared?.id === id ? shared.code : undefined;
  };
  /** Code from a link, shown and not yet kept; `undefined` when the cell shows the reader's own. */
  let pending = linkCode();
  let code = pending ?? own().code;
  let editor: CellEditor | undefined;
  let loadingEditor: Promise<CellEditor | undefined> | undefined;
  let lastError: CellError | undefined;

  const status =
    html`<span class="pn-cell-status" role="status" data-testid=${`cell-${id}-status`}></span>` as HTMLElement;
  const output =
    html`<div class="pn-cell-output" data-testid=${`cell-${id}-output`}></div>` as HTMLElement;
  const origin =
    html`<span class="pn-cell-origin" data-testid=${`cell-${id}-origin`}></span>` as HTMLElement;
  const shareBox = html`<div class="pn-cell-share" hidden></div>` as HTMLElement;
  const banner = html`
    <div class="pn-cell-banner" role="note" tabindex="-1" data-testid=${`cell-${id}-banner`}>
      <p>${say(lang, T.shared)}</p>
      <button type="button" data-testid=${`cell-${id}-keep`} onclick=${keep}>${say(
        lang,
        T.keep,
      )}</button>
      <button type="button" data-testid=${`cell-${id}-discard`} onclick=${discard}>${say(
        lang,
        T.discard,
      )}</button>
    </div>
  ` as HTMLElement;
  const view = codeView(code, { label, testid: `cell-${id}-code` });
  const editorHost =
    html`<div class="pn-cell-editor" data-testid=${`cell-${id}-editor`}>${view}</div>` as HTMLElement;

  function originOf(): Origin {
    if (pending !== undefined) return "link";
    const stored = store.read();
    if (stored?.fromLink) return "kept";
    return code === original ? "lesson" : "edited";
  }

  function showOrigin() {
    const o = originOf();
    element.dataset.origin = o;
    origin.textContent = say(
      lang,
      { lesson: T.lesson, edited: T.edited, link: T.fromLink, kept: T.keptLink }[o],
    );
    banner.hidden = pending === undefined;
  }

  function changed(text: string) {
    code = text;
    // A link's code is the reader's only once they keep it.
    if (pending !== undefined) pending = text;
    else if (text === original && !store.read()?.fromLink) store.write(undefined);
    else store.write(text);
    showOrigin();
  }

  function setCode(text: string) {
    code = text;
    if (editor) editor.setCode(text);
    else view.show(text);
  }

  /** Loads CodeMirror and puts the editor where the code view was. */
  function openEditor(focus: boolean): Promise<CellEditor | undefined> {
    loadingEditor ??= import("./editor.js").then(
      ({ createEditor }) => {
        editor = createEditor(editorHost, {
          code,
          id,
          label,
          onChange: changed,
          onRun: () => void run(),
        });
        editor.showError(lastError);
        return editor;
      },
      () => undefined, // the code view stays; runs still work
    );
    if (focus) void loadingEditor.then((e) => e?.focus());
    return loadingEditor;
  }
  view.addEventListener("focus", () => void openEditor(true));
  view.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    }
  });

  const element = html`<div class="pn-cell" data-testid=${`cell-${id}`}>
    ${banner}
    <div class="pn-cell-bar">
      <button type="button" data-testid=${`cell-${id}-run`} onclick=${() => run(true)}>▶ ${
    say(lang, T.run)
  }</button>
      <button type="button" data-testid=${`cell-${id}-reset`} onclick=${reset}>${
    say(lang, T.reset)
  }</button>
      <button type="button" data-testid=${`cell-${id}-share`} onclick=${share}>${
    say(lang, T.share)
  }</button>
      ${origin} ${status}
    </div>
    ${editorHost}
    ${shareBox}
    <details class="pn-cell-help" data-testid=${`cell-${id}-help`}>
      <summary>${say(lang, T.help)}</summary>
      <p>${say(lang, T.keys)}</p>
      <dl>${
    CELL_API.map((f) =>
      html`
        <dt><code>${f.call}</code></dt>
        <dd>${say(lang, f.does)}</dd>
      `
    )
  }</dl>
    </details>
    ${output}
  </div>` as HTMLElement & { value: CellOutcome };

  let runs = 0;
  let running = false;

  function settle(outcome: CellOutcome, error?: CellError) {
    element.dataset.runs = String(++runs);
    lastError = error;
    editor?.showError(error);
    output.replaceChildren(options.render(outcome));
    element.value = outcome;
    element.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function fail(error: CellError) {
    status.textContent = errorText(error, lang, timeoutMs);
    element.dataset.state = "error";
    settle({ name: id, ok: false, error: status.textContent }, error);
  }

  /** Runs the code shown; `byReader` when the reader asked (then the editor loads too). */
  async function run(byReader = false) {
    if (running) return;
    running = true;
    if (byReader) void openEditor(false);
    status.textContent = say(lang, T.running);
    element.dataset.state = "running";
    baseText ??= JSON.stringify(kernel.toScenario(options.base));
    const outcome = await sandbox.run({ code, base: baseText }, timeoutMs);
    running = false;
    if (outcome.kind === "timeout") return fail({ kind: "timeout", message: "timeout" });
    const answer = outcome.answer;
    if (!answer.ok) return fail(answer.error);
    let world: ReturnType<typeof kernel.loadScenario>;
    try {
      world = kernel.loadScenario(answer.value.scenario);
    } catch (e) {
      return fail({ kind: "result", message: `The world does not load: ${(e as Error).message}` });
    }
    if (!world.ok) {
      return fail({
        kind: "result",
        message: `The world does not load: ${world.error.map(kernel.formatLoadError).join("; ")}`,
      });
    }
    status.textContent = `${say(lang, T.ran)} ${answer.ms.toFixed(1)} ms`;
    element.dataset.state = "ok";
    const { probe } = answer.value;
    const value = { ...answer.value.extra, world: world.value, probe };
    settle({ name: id, ok: true, world: world.value, probe, value });
  }

  function forgetLink() {
    pending = undefined;
    element.classList.remove("pn-cell-linked");
    if (linkCode() !== undefined) {
      history.replaceState(history.state, "", `${location.pathname}${location.search}`);
    }
  }

  function keep() {
    if (pending === undefined) return;
    store.write(pending, { fromLink: true });
    forgetLink();
    showOrigin();
  }

  function discard() {
    forgetLink();
    setCode(own().code);
    showOrigin();
    void run();
  }

  function reset() {
    forgetLink();
    store.write(undefined);
    setCode(original);
    showOrigin();
    void run(true);
  }

  async function share() {
    const url = `${location.origin}${location.pathname}#${encodeShare(id, code)}`;
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      // clipboard needs permission or a secure context; the link is shown either way
    }
    shareBox.hidden = false;
    shareBox.replaceChildren(html`<label>${say(lang, copied ? T.copied : T.link)}
      <input type="text" readonly value=${url} data-testid=${`cell-${id}-link`} onfocus=${(
      e: Event,
    ) => (e.target as HTMLInputElement).select()}></label>`);
  }

  /** A link opened on this page: show its code under the banner, run nothing. */
  function showLink(text: string) {
    pending = text;
    setCode(text);
    showOrigin();
    status.textContent = "";
    element.dataset.state = "idle";
    output.replaceChildren(
      html`<p class="pn-cell-idle" data-testid=${`cell-${id}-idle`}>${say(lang, T.notRun)}</p>`,
    );
    element.value = { name: id, ok: false, error: say(lang, T.notRun) };
    followLink(element, banner);
  }

  const onHash = () => {
    if (!element.isConnected && runs > 0) return removeEventListener("hashchange", onHash);
    const text = linkCode();
    if (text !== undefined && text !== pending) showLink(text);
  };
  addEventListener("hashchange", onHash);

  element.dataset.runs = "0";
  showOrigin();
  if (pending !== undefined) showLink(pending);
  else {
    element.value = { name: id, ok: false, error: say(lang, T.running) };
    void run();
  }
  sandbox.warm();
  return element;
}
