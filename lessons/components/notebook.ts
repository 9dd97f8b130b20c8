/**
 * Notebook cells: an experiment a reader edits and runs in the page. The
 * code (a function body with `kernel` and `world` in scope) is edited in
 * CodeMirror and runs in a Web Worker that holds the kernel — never in the
 * page. A run that takes too long is stopped by terminating the worker;
 * syntax and runtime errors are marked at their line and column. Edits are
 * kept per cell in localStorage, Reset brings back the lesson's code, and
 * Share puts the code in the URL fragment (a link shows the code and runs it
 * only in the worker).
 *
 * The element is a view: its `value` is the latest outcome (the same shape
 * `runCell` returns), and it fires `input` after every run, so exercises
 * downstream read the world the reader's cell produced.
 *
 * @module
 */
import { basicSetup } from "codemirror";
import { javascript } from "@codemirror/lang-javascript";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";
import { type Diagnostic, setDiagnostics } from "@codemirror/lint";
import { EditorState, Prec } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { World } from "../kernel/mod.js";
import type { CellError, RunRequest, RunResponse } from "../kernel/notebook/protocol.js";
import { decodeShare, encodeShare } from "../kernel/notebook/share.js";
import { functionBody } from "../kernel/notebook/compile.js";
import { cellError, type CellOutcome } from "./cell.js";
import { traceOf } from "./explore.js";
import { verdictBox } from "./trace.js";
import { type Lang, type Phrase, say } from "./i18n.js";

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
  running: { en: "Running in the worker…", ko: "워커에서 실행 중…" },
  ran: { en: "Ran in", ko: "실행 시간" },
  edited: { en: "edited (kept in this browser)", ko: "수정됨 (이 브라우저에 저장됨)" },
  lesson: { en: "the lesson's code", ko: "강의의 코드" },
  shared: {
    en: "This code came from a shared link. It runs only in an isolated worker, never in the page.",
    ko: "이 코드는 공유 링크에서 왔습니다. 페이지가 아닌 격리된 워커에서만 실행됩니다.",
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
  copied: { en: "Link copied; it is also here:", ko: "링크를 복사했습니다. 여기에도 있습니다:" },
  link: { en: "Link to this cell's code:", ko: "이 셀 코드의 링크:" },
  help: { en: "What can I call here?", ko: "여기서 무엇을 쓸 수 있나요?" },
  keys: { en: "Ctrl/⌘-Enter runs the cell.", ko: "Ctrl/⌘-Enter로 셀을 실행합니다." },
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
      en: "the value of a Result, or throw its error",
      ko: "Result의 값, 아니면 오류를 던짐",
    },
  },
  {
    call: 'return { world, probe: { from: "a", to: "c" } }',
    does: { en: "what the cell gives back to the page", ko: "셀이 페이지에 돌려주는 것" },
  },
];

/**
 * Code colours from the page's theme (Framework's --syntax-* variables), so
 * the editor reads well in light and dark mode alike.
 */
const themeHighlight = HighlightStyle.define([
  {
    tag: [tags.keyword, tags.controlKeyword, tags.operatorKeyword, tags.definitionKeyword],
    color: "var(--syntax-keyword)",
  },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: "var(--syntax-string)" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "var(--syntax-constant)" },
  {
    tag: [tags.comment, tags.lineComment, tags.blockComment],
    color: "var(--syntax-comment)",
    fontStyle: "italic",
  },
  {
    tag: [tags.function(tags.variableName), tags.function(tags.propertyName)],
    color: "var(--syntax-entity)",
  },
  { tag: [tags.definition(tags.variableName), tags.propertyName], color: "var(--syntax-variable)" },
]);

function storageKey(id: string): string {
  return `podnet:cell:v1:${location.pathname}:${id}`;
}

function readStored(id: string): string | undefined {
  try {
    return localStorage.getItem(storageKey(id)) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeStored(id: string, code: string | undefined) {
  try {
    if (code === undefined) localStorage.removeItem(storageKey(id));
    else localStorage.setItem(storageKey(id), code);
  } catch {
    // storage may be full or disabled; the cell still works
  }
}

function lessonCode(code: NotebookCellOptions["code"]): string {
  if (typeof code === "string") return code;
  return functionBody(code.toString()) ?? code.toString();
}

/** A worker for one cell, created on demand and replaced after it is stopped. */
class CellWorker {
  #worker?: Worker;
  #next = 1;

  run(
    request: Omit<RunRequest, "id" | "type">,
    timeoutMs: number,
  ): Promise<RunResponse | { timeout: true }> {
    const worker = this.#worker ??= new Worker(
      import.meta.resolve("../kernel/notebook/worker.js"),
      { type: "module" },
    );
    const id = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stop();
        resolve({ timeout: true });
      }, timeoutMs);
      // Each run listens only until it is answered, so a long-lived worker
      // does not collect one error listener per run.
      const done = (answer: RunResponse) => {
        clearTimeout(timer);
        worker.removeEventListener("message", onMessage);
        worker.removeEventListener("error", onError);
        resolve(answer);
      };
      const onMessage = (event: MessageEvent<RunResponse>) => {
        if (event.data?.id === id) done(event.data);
      };
      const onError = (event: ErrorEvent) => {
        event.preventDefault();
        this.stop();
        done({
          type: "result",
          id,
          ok: false,
          error: { kind: "runtime", message: event.message || "The worker failed" },
          ms: 0,
        });
      };
      worker.addEventListener("message", onMessage);
      worker.addEventListener("error", onError);
      worker.postMessage({ type: "run", id, ...request } satisfies RunRequest);
    });
  }

  stop() {
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}

function errorText(error: CellError, lang: Lang, timeoutMs: number): string {
  if (error.kind === "timeout") return fill(say(lang, T.stopped), { s: timeoutMs / 1000 });
  const where = error.line
    ? `${fill(say(lang, T.at), { l: error.line, c: error.column ?? 1 })}: `
    : "";
  return `${say(lang, T[error.kind])} — ${where}${error.message}`;
}

function diagnosticFor(view: EditorView, error: CellError): Diagnostic[] {
  if (!error.line) return [];
  const doc = view.state.doc;
  const line = doc.line(Math.min(Math.max(error.line, 1), doc.lines));
  const from = Math.min(line.from + Math.max((error.column ?? 1) - 1, 0), line.to);
  return [{
    from,
    to: Math.min(Math.max(from + 1, line.to), doc.length),
    severity: "error",
    message: error.message,
  }];
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

/**
 * An editable, runnable experiment cell.
 *
 * @param options The cell's id, language, code, base world and renderer.
 * @returns An element whose `value` is the latest outcome.
 */
export function notebookCell(options: NotebookCellOptions): HTMLElement & { value: CellOutcome } {
  const { id, lang, base } = options;
  const timeoutMs = options.timeoutMs ?? 2000;
  const original = lessonCode(options.code);
  const shared = decodeShare(location.hash);
  const fromLink = shared?.id === id ? shared.code : undefined;
  const initial = fromLink ?? readStored(id) ?? original;
  const worker = new CellWorker();
  const baseDoc = kernel.toScenario(base);

  const status =
    html`<span class="pn-cell-status" role="status" data-testid=${`cell-${id}-status`}></span>` as HTMLElement;
  const output =
    html`<div class="pn-cell-output" data-testid=${`cell-${id}-output`}></div>` as HTMLElement;
  const origin =
    html`<span class="pn-cell-origin" data-testid=${`cell-${id}-origin`}></span>` as HTMLElement;
  const shareBox = html`<div class="pn-cell-share" hidden></div>` as HTMLElement;
  const banner = html`<p class="pn-cell-banner" data-testid=${`cell-${id}-banner`} hidden=${
    fromLink === undefined
  }>${say(lang, T.shared)}</p>` as HTMLElement;
  const editorHost =
    html`<div class="pn-cell-editor" data-testid=${`cell-${id}-editor`}></div>` as HTMLElement;

  let running = false;
  const view = new EditorView({
    parent: editorHost,
    state: EditorState.create({
      doc: initial,
      extensions: [
        basicSetup,
        javascript(),
        syntaxHighlighting(themeHighlight),
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (void run(), true) }])),
        EditorView.updateListener.of((u) => {
          if (!u.docChanged) return;
          const code = u.state.doc.toString();
          writeStored(id, code === original ? undefined : code);
          showOrigin(code);
        }),
        EditorView.contentAttributes.of({
          "aria-label": `${id} code`,
          "data-testid": `cell-${id}-code`,
        }),
      ],
    }),
  });

  function showOrigin(code: string) {
    origin.textContent = code === original ? say(lang, T.lesson) : say(lang, T.edited);
  }

  const element = html`<div class="pn-cell" data-testid=${`cell-${id}`}>
    ${banner}
    <div class="pn-cell-bar">
      <button type="button" data-testid=${`cell-${id}-run`} onclick=${() => run()}>▶ ${
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
  function settle(outcome: CellOutcome, error?: CellError) {
    element.dataset.runs = String(++runs);
    // The editor was built before the page attached it: measure its lines again now.
    view.requestMeasure();
    view.dispatch(setDiagnostics(view.state, error ? diagnosticFor(view, error) : []));
    output.replaceChildren(options.render(outcome));
    element.value = outcome;
    element.dispatchEvent(new Event("input", { bubbles: true }));
  }

  async function run() {
    if (running) return;
    running = true;
    status.textContent = say(lang, T.running);
    element.dataset.state = "running";
    const code = view.state.doc.toString();
    const answer = await worker.run({ code, base: baseDoc }, timeoutMs);
    running = false;
    if ("timeout" in answer) {
      const error: CellError = { kind: "timeout", message: "timeout" };
      status.textContent = errorText(error, lang, timeoutMs);
      element.dataset.state = "error";
      return settle({ name: id, ok: false, error: status.textContent }, error);
    }
    if (!answer.ok) {
      status.textContent = errorText(answer.error, lang, timeoutMs);
      element.dataset.state = "error";
      return settle({ name: id, ok: false, error: status.textContent }, answer.error);
    }
    const world = kernel.loadScenario(answer.value.scenario);
    if (!world.ok) {
      status.textContent = world.error.map(kernel.formatLoadError).join("; ");
      element.dataset.state = "error";
      return settle({ name: id, ok: false, error: status.textContent });
    }
    status.textContent = `${say(lang, T.ran)} ${answer.ms.toFixed(1)} ms`;
    element.dataset.state = "ok";
    const value = { ...answer.value.extra, world: world.value, probe: answer.value.probe };
    settle({ name: id, ok: true, world: world.value, probe: answer.value.probe, value });
  }

  function reset() {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: original } });
    writeStored(id, undefined);
    banner.hidden = true;
    void run();
  }

  async function share() {
    const url = `${location.origin}${location.pathname}#${
      encodeShare(id, view.state.doc.toString())
    }`;
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

  showOrigin(initial);
  element.value = { name: id, ok: false, error: say(lang, T.running) };
  void run();
  return element;
}
