/**
 * The scale lesson's components: a node × node reachability heatmap
 * coloured by how many pod pairs fail and why (with its caption, legend,
 * text summary and a table of the failing node pairs as the accessible
 * alternative), the details of one cell with a full trace in the trace
 * stepper, a log of re-checks with their times, and a button that runs a
 * verification at Kubernetes' limits in a Web Worker.
 *
 * Like the other components these are plain functions of their arguments
 * returning DOM. The heatmap is made once and then updated in place
 * (`update(cells)` redraws only the cells that changed), because a page
 * re-checks after every edit and 10,000 cells are too many to rebuild.
 *
 * @module
 */
import { html } from "./dom.js";
import type { Trace } from "../kernel/mod.js";
import {
  CAUSES,
  changedCells,
  type NodeCells,
  nodeCells,
  type Problem,
  type Rechecks,
  recheckSteps,
  type ScaleRun,
  timerResolution,
  type Verifier,
} from "../kernel/verify/mod.js";
import { type Lang, say } from "./i18n.js";
import { traceStepper, verdictBox } from "./trace.js";
import {
  cellAtPoint,
  drawGrid,
  failingTable,
  type HeatCell,
  moveCursor,
  paintCell,
  placeMark,
} from "./heatmap-grid.js";
import { CAUSE_WORDS, fmt, W } from "./heatmap-words.js";
import { problems } from "./explore.js";

export type { HeatCell } from "./heatmap-grid.js";
export { CAUSE_WORDS } from "./heatmap-words.js";

/** The heatmap element: a view whose value is the selected cell. */
export type HeatmapView = HTMLElement & {
  value: HeatCell | null;
  /** The cells drawn now. */
  readonly cells: NodeCells;
  /** Redraws the cells that changed; returns their indexes. */
  update(cells: NodeCells): number[];
  /** Selects a cell (or none) and fires `input`. */
  select(cell: HeatCell | null): void;
};

/** Milliseconds as text: two decimals below 10 ms, none above. */
export function formatMillis(lang: Lang, ms: number): string {
  return `${fmt(lang, ms, ms < 10 ? 2 : 0)} ms`;
}

/**
 * Makes a view made with inputs.js's `relay` (`choice`, `breakageInput`)
 * fire one `input` per change for Framework: `relay` re-fires an inner
 * control's event in the view's own name, but the inner event still reaches
 * listeners on the view itself (such as the one `view()` adds), so each
 * change would re-run the page's cells twice. Call it before `view()`.
 *
 * @param element A view element.
 * @returns The same element.
 */
export function singleInput<T extends HTMLElement>(element: T): T {
  element.addEventListener("input", (e) => {
    if (e.target !== element) e.stopImmediatePropagation();
  });
  return element;
}

// --- the heatmap ----------------------------------------------------------------------------

/** One cell in words: `node-7 → node-42: 16 of 16 pod pairs fail (no route)`. */
export function describeCell(cells: NodeCells, cell: HeatCell, lang: Lang): string {
  const n = cells.nodes.length;
  const k = cell.from * n + cell.to;
  const head = `${cells.nodes[cell.from]} → ${cells.nodes[cell.to]}`;
  if (cells.total[k] === 0) return `${head}: ${say(lang, W.empty)}`;
  if (cells.failing[k] === 0) {
    return lang === "en"
      ? `${head}: all ${fmt(lang, cells.total[k])} pod pairs reach`
      : `${head}: 파드 쌍 ${fmt(lang, cells.total[k])}개 모두 닿음`;
  }
  const why = say(lang, CAUSE_WORDS[CAUSES[cells.cause[k]]]);
  return lang === "en"
    ? `${head}: ${fmt(lang, cells.failing[k])} of ${
      fmt(lang, cells.total[k])
    } pod pairs fail (${why})`
    : `${head}: 파드 쌍 ${fmt(lang, cells.total[k])}개 중 ${
      fmt(lang, cells.failing[k])
    }개 실패 (${why})`;
}

/** The whole matrix in one or two sentences. */
export function summarize(cells: NodeCells, lang: Lang): string {
  const n = cells.nodes.length;
  let pairs = 0;
  let failing = 0;
  let cellsFailing = 0;
  for (let k = 0; k < n * n; k++) {
    pairs += cells.total[k];
    failing += cells.failing[k];
    if (cells.failing[k] > 0) cellsFailing++;
  }
  const en = lang === "en";
  if (failing === 0) {
    return en
      ? `All ${fmt(lang, pairs)} ordered pod pairs, in all ${fmt(lang, n * n)} node pairs, ` +
        `reach each other NAT-free: every cell is green.`
      : `노드 쌍 ${fmt(lang, n * n)}개에 걸친 순서 있는 파드 쌍 ${fmt(lang, pairs)}개가 모두 ` +
        `NAT 없이 서로 닿습니다. 모든 칸이 초록색입니다.`;
  }
  const byCause = CAUSES.map((c, i) => ({ c, x: cells.byCause[i].reduce((a, b) => a + b, 0) }))
    .filter((e) => e.x > 0)
    .map((e) => `${say(lang, CAUSE_WORDS[e.c])}: ${fmt(lang, e.x)}`);
  return en
    ? `${fmt(lang, failing)} of ${fmt(lang, pairs)} ordered pod pairs fail, in ` +
      `${fmt(lang, cellsFailing)} of ${fmt(lang, n * n)} node pairs (${byCause.join("; ")}).`
    : `순서 있는 파드 쌍 ${fmt(lang, pairs)}개 중 ${fmt(lang, failing)}개가 실패합니다. ` +
      `노드 쌍 ${fmt(lang, n * n)}개 중 ${fmt(lang, cellsFailing)}개에서입니다 ` +
      `(${byCause.join("; ")}).`;
}

/**
 * The heatmap: an SVG of nodes × nodes cells (row = sending node, column =
 * receiving node; colour = the main cause of failure, darker = a larger
 * share failing), a caption, a legend, a text summary, a live readout of
 * the cell under the cursor, and a table of the failing node pairs with a
 * button each. Keyboard: the map is one tab stop; arrow keys move
 * (Shift: by 10), Home/End go to the row's ends, Enter or Space selects.
 *
 * Test ids: `ID-heatmap` (the figure), `ID-grid` (the SVG; cells are
 * `rect[data-from][data-to]` with `data-failing`, `data-total`,
 * `data-cause`), `ID-summary`, `ID-readout`, `ID-failing` (the table),
 * `ID-show-I-J` (its buttons, node indexes from 0).
 *
 * @param cells The cells to draw first (from `nodeCells`).
 * @param options Language, test id prefix, caption, and whether a newly
 *   failing cell becomes the selection when the selected one is fine (`follow`, default true).
 * @returns The heatmap view; its value is the selected cell.
 */
export function heatmap(
  cells: NodeCells,
  options: { lang: Lang; id: string; caption?: string; follow?: boolean; rows?: number },
): HeatmapView {
  const { lang, id } = options;
  const n = cells.nodes.length;
  const { svg, rects, selectedMark, cursorMark } = drawGrid(cells, lang, id);
  const readout = html`
    <p class="pn-hm-readout" id=${`${id}-readout`} data-testid=${`${id}-readout`}
      aria-live="polite">${say(lang, W.keys)}</p>
  ` as HTMLElement;
  const summary = html`
    <p class="pn-hm-summary" data-testid=${`${id}-summary`}
      aria-live="polite"></p>
  ` as HTMLElement;
  const table = html`<div class="pn-hm-table" data-testid=${`${id}-failing`}></div>` as HTMLElement;
  const legend = html`<ul class="pn-hm-legend" aria-label=${lang === "en" ? "Legend" : "범례"}>
    <li><span class="pn-hm-swatch pn-hm-ok"></span>${say(lang, W.ok)}</li>
    ${
    CAUSES.map((c) =>
      html`<li data-cause=${c}><span class=${`pn-hm-swatch pn-hm-${c}`}></span>${
        say(lang, CAUSE_WORDS[c])
      }</li>`
    )
  }
  </ul>`;
  const root = html`<figure class="pn-heatmap" data-testid=${`${id}-heatmap`}>
    <figcaption>${options.caption ?? say(lang, W.caption)}</figcaption>
    <p class="pn-hm-axes">${say(lang, W.rows)} · ${say(lang, W.cols)}</p>
    ${svg}
    ${readout}
    ${legend}
    <p class="pn-faint">${say(lang, W.shade)}</p>
    ${summary}
    ${table}
  </figure>` as HeatmapView;

  let current = cells;
  let cursor: HeatCell = { from: 0, to: 0 };
  const describe = (cell: HeatCell) => readout.textContent = describeCell(current, cell, lang);
  const select = (cell: HeatCell | null) => {
    root.value = cell;
    placeMark(selectedMark, cell);
    root.dataset.selected = cell ? `${cell.from}-${cell.to}` : "";
    if (cell) describe(cell);
    root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const show = (cell: HeatCell) => {
    cursor = cell;
    select(cell);
  };
  const renderText = () => {
    summary.textContent = summarize(current, lang);
    table.replaceChildren(...failingTable(current, { lang, id, rows: options.rows ?? 10, show }));
  };

  svg.addEventListener("click", (e) => {
    const target = e.target as Element;
    const from = target.getAttribute?.("data-from");
    const cell = from !== null && from !== undefined
      ? { from: Number(from), to: Number(target.getAttribute("data-to")) }
      : cellAtPoint(svg, n, e);
    if (cell) show(cell);
  });
  svg.addEventListener("pointermove", (e) => {
    const cell = cellAtPoint(svg, n, e);
    placeMark(cursorMark, cell);
    if (cell) describe(cell);
  });
  svg.addEventListener("pointerleave", () => {
    placeMark(cursorMark, document.activeElement === svg ? cursor : null);
    if (root.value) describe(root.value);
  });
  svg.addEventListener("focus", () => {
    placeMark(cursorMark, cursor);
    describe(cursor);
  });
  svg.addEventListener("blur", () => placeMark(cursorMark, null));
  svg.addEventListener("keydown", (e) => {
    const next = moveCursor(e.key, e.shiftKey, cursor, n);
    if (next === undefined) return;
    e.preventDefault();
    if (next === "select") return select(cursor);
    cursor = next;
    placeMark(cursorMark, cursor);
    describe(cursor);
  });

  root.value = null;
  root.select = select;
  root.update = (next: NodeCells) => {
    const changed = changedCells(current, next);
    if (next.nodes.length !== n) throw new Error("The heatmap was drawn for another cluster");
    current = next;
    for (const k of changed) paintCell(rects[k], next, k);
    renderText();
    const sel = root.value;
    const selFailing = sel !== null && next.failing[sel.from * n + sel.to] > 0;
    const fresh = changed.find((k) => next.failing[k] > 0);
    if ((options.follow ?? true) && !selFailing && fresh !== undefined) {
      cursor = { from: Math.floor(fresh / n), to: fresh % n };
      select(cursor);
    } else if (sel) {
      describe(sel);
    }
    return changed;
  };
  Object.defineProperty(root, "cells", { get: () => current });
  renderText();
  return root;
}

// --- one cell in detail -------------------------------------------------------------------------

function problemWords(p: Problem, lang: Lang): string {
  if (p.kind === "dropped") return `${lang === "en" ? "dropped" : "폐기"}: ${p.reason}`;
  if (p.kind === "source-rewritten") return `${say(lang, W.seen)} ${p.seen.toString()}`;
  return lang === "en" ? "a NAT rule rewrote the packet" : "NAT 규칙이 패킷을 바꿈";
}

/**
 * What one heatmap cell stands for: its pod pairs by problem, each with an
 * example pair, and one pair traced by the kernel, shown with the verdict
 * and the hop stepper (a failing pair if there is one).
 *
 * Test ids: `ID-details` (with `data-from`, `data-to`, `data-failing`),
 * `ID-verdict` and `ID-stepper` (from trace.ts).
 *
 * @param verifier The verifier the heatmap was drawn from.
 * @param cell The selected cell, or null.
 * @param options Language and test id prefix.
 * @returns A section; problems become messages in place.
 */
export function cellDetails(
  verifier: Verifier,
  cell: HeatCell | null,
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang, id } = options;
  const root = html`
    <section class="pn-hm-details" data-testid=${`${id}-details`}
      aria-live="polite"></section>
  ` as HTMLElement;
  if (cell === null) {
    root.append(html`<p class="pn-faint">${say(lang, W.pick)}</p>`);
    return root;
  }
  try {
    const view = verifier.nodePair(cell.from, cell.to);
    const pods = verifier.fabric.pods;
    root.dataset.from = view.from;
    root.dataset.to = view.to;
    root.dataset.failing = String(view.failing);
    root.dataset.total = String(view.total);
    const en = lang === "en";
    root.append(html`<h4>${view.from} → ${view.to}</h4>`);
    root.append(
      html`<p>${
        view.total === 0
          ? say(lang, W.empty)
          : view.failing === 0
          ? say(lang, W.allReach)
          : en
          ? `${fmt(lang, view.failing)} of ${fmt(lang, view.total)} pod pairs fail:`
          : `파드 쌍 ${fmt(lang, view.total)}개 중 ${fmt(lang, view.failing)}개가 실패합니다:`
      }</p>`,
    );
    if (view.problems.length) {
      root.append(
        html`<ul>${
          view.problems.map((x) =>
            html`<li data-problem=${
              x.problem.kind === "dropped" ? x.problem.reason : x.problem.kind
            }>
            ${
              lang === "en"
                ? html`<strong>${fmt(lang, x.pairs)}</strong> pod pairs`
                : html`파드 쌍 <strong>${fmt(lang, x.pairs)}</strong>개`
            } — ${problemWords(x.problem, lang)} (${say(lang, W.example)} <code>${
              pods.name(x.example[0])
            } → ${pods.name(x.example[1])}</code>)</li>`
          )
        }</ul>`,
      );
    }
    const pair = view.problems[0]?.example ?? firstPair(verifier, cell);
    if (pair === undefined) return root;
    const trace: Trace | undefined = verifier.tracePair(pair[0], pair[1]);
    if (trace === undefined) {
      root.append(html`<p class="pn-faint">${say(lang, W.noTrace)}</p>`);
      return root;
    }
    root.append(
      html`<h4>${say(lang, W.oneTraced)}: <code>${pods.name(pair[0])} → ${
        pods.name(pair[1])
      }</code></h4>`,
    );
    root.append(verdictBox(trace, { lang, id }));
    root.append(traceStepper(trace, { lang, id }));
  } catch (e) {
    root.append(problems([`${(e as Error).name}: ${(e as Error).message}`], lang, id));
  }
  return root;
}

/** A pod pair from one node to another (distinct pods), or undefined when there is none. */
function firstPair(verifier: Verifier, cell: HeatCell): readonly [number, number] | undefined {
  const pods = verifier.fabric.pods;
  const on = (node: number) => {
    const out: number[] = [];
    for (let p = 0; p < pods.count && out.length < 2; p++) if (pods.node[p] === node) out.push(p);
    return out;
  };
  const a = on(cell.from);
  const b = on(cell.to);
  for (const p of a) for (const q of b) if (p !== q) return [p, q];
  return undefined;
}

// --- re-checks ----------------------------------------------------------------------------------

/** One re-check as the log shows it. */
export interface Redrawn {
  /** What the reader did, in words. */
  readonly what: string;
  readonly rechecks: Rechecks;
  /** The numbers after the re-check (as `rechecks.summary`). */
  readonly summary: Rechecks["summary"];
  readonly cells: NodeCells;
  /** Milliseconds to compute the heatmap's cells after the re-check. */
  readonly cellsMillis: number;
  /** Milliseconds to redraw the changed cells. */
  readonly drawMillis: number;
  /** Cells that changed. */
  readonly changed: readonly number[];
}

/**
 * Re-checks a world with a verifier (one step per changed namespace, see
 * `recheckSteps`), computes the new cells and redraws the heatmap.
 *
 * @param verifier The verifier the heatmap shows (changed in place).
 * @param world The world to check now.
 * @param options The heatmap, and what the reader did (for the log).
 * @returns The re-check with its times, or an error message (the heatmap keeps its last picture).
 */
export function recheckInto(
  verifier: Verifier,
  world: Parameters<typeof recheckSteps>[1],
  options: { heat: HeatmapView; what: string },
): { ok: true; value: Redrawn } | { ok: false; error: string } {
  try {
    const rechecks = recheckSteps(verifier, world);
    let t = performance.now();
    const cells = nodeCells(verifier);
    const cellsMillis = performance.now() - t;
    t = performance.now();
    const changed = options.heat.update(cells);
    const drawMillis = performance.now() - t;
    return {
      ok: true,
      value: {
        what: options.what,
        rechecks,
        summary: rechecks.summary,
        cells,
        cellsMillis,
        drawMillis,
        changed,
      },
    };
  } catch (e) {
    return { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

/** The log element: the last re-check in full, and the earlier ones in a list. */
export type RecheckLog = HTMLElement & { add(entry: Redrawn): void };

/**
 * A log of re-checks with their times. Test ids: `ID-recheck` (the last
 * one, with `data-millis`, `data-incremental`, `data-steps`,
 * `data-failing`, `data-changed`), `ID-log` (the list).
 *
 * @param options Language and test id prefix.
 * @returns The log; call `add` after each re-check.
 */
export function recheckLog(options: { lang: Lang; id: string }): RecheckLog {
  const { lang, id } = options;
  const last = html`<p class="pn-hm-last" data-testid=${`${id}-recheck`} aria-live="polite">${
    say(lang, W.noneYet)
  }</p>` as HTMLElement;
  const list = html`<ol reversed data-testid=${`${id}-log`}></ol>` as HTMLOListElement;
  const count = html`<span>0</span>` as HTMLElement;
  const root = html`<div class="pn-hm-log">
    ${last}
    <details><summary>${say(lang, W.all)} (${count})</summary>${list}</details>
  </div>` as RecheckLog;
  let entries = 0;
  const resolution = timerResolution();
  root.add = (e: Redrawn) => {
    const r = e.rechecks;
    const kind = r.steps.length === 0
      ? say(lang, W.nothingChanged)
      : r.incremental
      ? say(lang, W.incremental)
      : say(lang, W.full);
    const where = r.changed.length
      ? ` · ${say(lang, W.changed)}: ${r.changed.join(", ")} (${r.steps.length} ${
        say(lang, r.steps.length === 1 ? W.step : W.steps)
      })`
      : "";
    const tally = lang === "en"
      ? `${fmt(lang, r.summary.failing)} failing pod pairs / ${fmt(lang, r.summary.checked)}`
      : `실패한 파드 쌍 ${fmt(lang, r.summary.failing)} / ${fmt(lang, r.summary.checked)}`;
    // Browsers coarsen the clock (Chromium: 0.1 ms steps); below one step, say so.
    const time = r.millis < resolution
      ? `< ${formatMillis(lang, resolution)}`
      : formatMillis(lang, r.millis);
    const line = `${time}, ${kind}${where} · ${tally}`;
    last.dataset.millis = r.millis.toFixed(3);
    last.dataset.incremental = String(r.incremental);
    last.dataset.steps = String(r.steps.length);
    last.dataset.failing = String(r.summary.failing);
    last.dataset.changed = String(e.changed.length);
    last.replaceChildren(
      html`<strong>${say(lang, W.last)}</strong>`,
      ` (${e.what}): `,
      html`<strong>${line}</strong>`,
      html`
        <br><span
          class="pn-faint">${say(lang, W.cellsTime)} ${formatMillis(lang, e.cellsMillis)} · ${say(
            lang,
            W.drawTime,
          )} ${formatMillis(lang, e.drawMillis)} (${lang === "en"
            ? `${fmt(lang, e.changed.length)} cells changed`
            : `바뀐 칸 ${fmt(lang, e.changed.length)}개`})</span>
      `,
    );
    list.prepend(
      html`<li data-millis=${r.millis.toFixed(3)} data-incremental=${
        String(r.incremental)
      }>${e.what}: ${line}</li>`,
    );
    entries++;
    count.textContent = String(entries);
  };
  return root;
}

// --- at Kubernetes' limits --------------------------------------------------------------------

/**
 * A button that runs a verification at scale (in a Web Worker, through
 * `run`) and shows what it measured. Test ids: `ID-run` (the button),
 * `ID-result` (with `data-status` `idle`, `running`, `done` or `failed`,
 * and on success `data-checked`, `data-holds`, `data-verify-ms`,
 * `data-edit-median-ms`, `data-edit-mean-ms`, `data-edit-typical-ms`, `data-ran`).
 *
 * @param run Starts the verification; resolves to the run and where it ran, or an error.
 * @param options Language and test id prefix.
 * @returns The element.
 */
export function scaleRunner(
  run: () => Promise<{ ok: true; run: ScaleRun; ran: string } | { ok: false; error: string }>,
  options: { lang: Lang; id: string },
): HTMLElement {
  const { lang, id } = options;
  const en = lang === "en";
  const button = html`<button type="button" class="pn-hm-run" data-testid=${`${id}-run`}>${
    say(lang, W.run)
  }</button>` as HTMLButtonElement;
  const result = html`
    <div class="pn-hm-result" data-testid=${`${id}-result`} data-status="idle"
      aria-live="polite"></div>
  ` as HTMLElement;
  button.addEventListener("click", async () => {
    button.disabled = true;
    result.dataset.status = "running";
    result.replaceChildren(html`<p>${say(lang, W.running)}</p>`);
    let out: Awaited<ReturnType<typeof run>>;
    try {
      out = await run();
    } catch (e) {
      out = { ok: false, error: `${(e as Error).name}: ${(e as Error).message}` };
    }
    button.disabled = false;
    if (!out.ok) {
      result.dataset.status = "failed";
      result.replaceChildren(problems([out.error], lang, id));
      return;
    }
    const r = out.run;
    Object.assign(result.dataset, {
      status: "done",
      checked: String(r.checked),
      holds: String(r.holds),
      verifyMs: r.verifyMillis.toFixed(1),
      editMedianMs: r.edits.median.toFixed(4),
      editMeanMs: r.edits.mean.toFixed(4),
      editTypicalMs: r.edits.typical.toFixed(4),
      ran: out.ran,
    });
    const us = (ms: number) => `${fmt(lang, ms * 1000, ms < 0.01 ? 1 : 0)} µs`;
    result.replaceChildren(html`
      <ul>
        <li>${en
          ? `${fmt(lang, r.nodes)} nodes × ${fmt(lang, r.pods / r.nodes)} pods = ${
            fmt(lang, r.pods)
          } pods, ${fmt(lang, r.checked)} ordered pod pairs (${r.mode})`
          : `노드 ${fmt(lang, r.nodes)}개 × 파드 ${fmt(lang, r.pods / r.nodes)}개 = 파드 ${
            fmt(lang, r.pods)
          }개, 순서 있는 파드 쌍 ${fmt(lang, r.checked)}개 (${r.mode})`}</li>
        <li><strong>${en
          ? `Full verification: ${formatMillis(lang, r.verifyMillis)}`
          : `전체 검증: ${formatMillis(lang, r.verifyMillis)}`}</strong> — ${r.holds
          ? (en ? "every pair reaches NAT-free" : "모든 쌍이 NAT 없이 닿음")
          : (en ? `${fmt(lang, r.failing)} pairs fail` : `${fmt(lang, r.failing)}쌍 실패`)} (${en
          ? `${fmt(lang, r.classes.destinations)} destination classes, ${
            fmt(lang, r.classes.groupClasses)
          } source class${r.classes.groupClasses === 1 ? "" : "es"}, ${
            fmt(lang, r.classes.states)
          } states evaluated; generating the cluster took ${formatMillis(lang, r.generateMillis)}`
          : `목적지 클래스 ${fmt(lang, r.classes.destinations)}개, 출발지 클래스 ${
            fmt(lang, r.classes.groupClasses)
          }개, 평가한 상태 ${fmt(lang, r.classes.states)}개; 클러스터 생성 ${
            formatMillis(lang, r.generateMillis)
          }`})</li>
        <li>${en
          ? `${fmt(lang, r.edits.count)} route edits (a route deleted, then restored), each ` +
            `re-checked: typically ${us(r.edits.typical)} per edit (median of groups of 10 ` +
            `edits timed together), ${us(r.edits.mean)} on average; timed one by one: median ${
              us(r.edits.median)
            }, p99 ${us(r.edits.p99)}, slowest ${
              us(r.edits.max)
            } (this browser's clock ticks every ${us(r.timerResolution)}); ${
              fmt(lang, r.edits.incremental)
            } of them incremental, ${fmt(lang, r.edits.wrong)} with unexpected counts`
          : `경로 편집 ${fmt(lang, r.edits.count)}번(경로를 지웠다가 되살림)을 매번 재검사: ` +
            `보통 편집당 ${us(r.edits.typical)}(10번씩 묶어 잰 값의 중앙값), 평균 ${
              us(r.edits.mean)
            }; 하나씩 재면 중앙값 ${us(r.edits.median)}, p99 ${us(r.edits.p99)}, 가장 느린 것 ${
              us(r.edits.max)
            }(이 브라우저의 시계는 ${us(r.timerResolution)} 단위로 움직임); 그중 증분 ${
              fmt(lang, r.edits.incremental)
            }번, 예상과 다른 결과 ${fmt(lang, r.edits.wrong)}번`}</li>
        <li class="pn-faint">${en
          ? `Ran in ${out.ran === "worker" ? "a Web Worker" : "the page (no worker available)"}.`
          : `${
            out.ran === "worker" ? "웹 워커" : "페이지(워커를 쓸 수 없음)"
          }에서 실행했습니다.`}</li>
      </ul>
    `);
  });
  return html`<div class="pn-hm-runner">${button}${result}</div>` as HTMLElement;
}
