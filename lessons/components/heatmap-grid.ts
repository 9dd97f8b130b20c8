/**
 * The heatmap's parts, each a plain function: the SVG grid of node × node
 * cells, the marks for the cursor and the selection, where a pointer or a
 * key moves the cursor, and the table of failing node pairs (the grid's
 * accessible alternative). `heatmap.ts` wires them into one view.
 *
 * @module
 */
import { html } from "./dom.js";
import { CAUSES, type NodeCells } from "../kernel/verify/mod.js";
import { type Lang, say } from "./i18n.js";
import { CAUSE_WORDS, fmt, W } from "./heatmap-words.js";

/** A heatmap cell: source node index and destination node index. */
export interface HeatCell {
  readonly from: number;
  readonly to: number;
}

/** Cell size and margin in SVG units. */
const S = 6;
const M = 26;

function cellClass(cells: NodeCells, k: number): string {
  if (cells.total[k] === 0) return "pn-hm-empty";
  return cells.cause[k] < 0 ? "pn-hm-ok" : `pn-hm-${CAUSES[cells.cause[k]]}`;
}

function cellOpacity(cells: NodeCells, k: number): string {
  if (cells.failing[k] === 0 || cells.total[k] === 0) return "1";
  return (0.45 + 0.55 * (cells.failing[k] / cells.total[k])).toFixed(2);
}

/** The drawn grid: the SVG, its cells in row-major order, and the two marks. */
export interface Grid {
  readonly svg: SVGSVGElement;
  readonly rects: readonly SVGRectElement[];
  readonly selectedMark: SVGRectElement;
  readonly cursorMark: SVGRectElement;
}

/**
 * Draws the grid: one `rect[data-from][data-to]` per cell, axis ticks every
 * 10 nodes, grid lines, and the (hidden) cursor and selection marks. The
 * SVG is one tab stop with the role of an application.
 *
 * @param cells The cells.
 * @param lang The page's language.
 * @param id The test id prefix.
 * @returns The grid.
 */
export function drawGrid(cells: NodeCells, lang: Lang, id: string): Grid {
  const n = cells.nodes.length;
  const size = M + n * S + 10;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("tabindex", "0");
  svg.setAttribute("role", "application");
  svg.setAttribute("aria-roledescription", lang === "en" ? "heatmap" : "히트맵");
  svg.setAttribute("aria-label", say(lang, W.mapLabel));
  svg.setAttribute("aria-describedby", `${id}-readout`);
  svg.dataset.testid = `${id}-grid`;
  svg.dataset.nodes = String(n);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const k = i * n + j;
      parts.push(
        `<rect x="${M + j * S}" y="${M + i * S}" width="${S}" height="${S}" data-from="${i}" ` +
          `data-to="${j}" data-failing="${cells.failing[k]}" data-total="${cells.total[k]}" ` +
          `data-cause="${cells.cause[k] < 0 ? "" : CAUSES[cells.cause[k]]}" class="${
            cellClass(cells, k)
          }" fill-opacity="${cellOpacity(cells, k)}"></rect>`,
      );
    }
  }
  const ticks = [0, ...Array.from({ length: Math.floor(n / 10) }, (_, t) => t * 10 + 9)]
    .filter((t, i, a) => t < n && a.indexOf(t) === i);
  for (const t of ticks) {
    const label = cells.nodes[t].replace(/^node-/, "");
    const c = M + t * S + S / 2;
    parts.push(`<text x="${c}" y="${M - 4}" text-anchor="middle">${label}</text>`);
    parts.push(`<text x="${M - 3}" y="${c + 3}" text-anchor="end">${label}</text>`);
  }
  for (let t = 10; t < n; t += 10) {
    const c = M + t * S;
    parts.push(`<line class="pn-hm-grid" x1="${c}" y1="${M}" x2="${c}" y2="${M + n * S}"></line>`);
    parts.push(`<line class="pn-hm-grid" x1="${M}" y1="${c}" x2="${M + n * S}" y2="${c}"></line>`);
  }
  parts.push(
    `<rect class="pn-hm-selected" width="${S}" height="${S}" visibility="hidden"></rect>`,
    `<rect class="pn-hm-cursor" width="${S}" height="${S}" visibility="hidden"></rect>`,
  );
  svg.innerHTML = parts.join("");
  return {
    svg,
    rects: [...svg.querySelectorAll<SVGRectElement>("rect[data-from]")],
    selectedMark: svg.querySelector<SVGRectElement>(".pn-hm-selected")!,
    cursorMark: svg.querySelector<SVGRectElement>(".pn-hm-cursor")!,
  };
}

/** Repaints cell `k` of the grid from `cells`. */
export function paintCell(rect: SVGRectElement, cells: NodeCells, k: number): void {
  rect.setAttribute("data-failing", String(cells.failing[k]));
  rect.setAttribute("data-total", String(cells.total[k]));
  rect.setAttribute("data-cause", cells.cause[k] < 0 ? "" : CAUSES[cells.cause[k]]);
  rect.setAttribute("class", cellClass(cells, k));
  rect.setAttribute("fill-opacity", cellOpacity(cells, k));
}

/** Puts a mark on a cell, or hides it. */
export function placeMark(mark: SVGRectElement, cell: HeatCell | null): void {
  if (cell === null) {
    mark.setAttribute("visibility", "hidden");
    return;
  }
  mark.setAttribute("x", String(M + cell.to * S));
  mark.setAttribute("y", String(M + cell.from * S));
  mark.setAttribute("visibility", "visible");
}

/** The cell under a pointer event, if any. */
export function cellAtPoint(svg: SVGSVGElement, n: number, e: MouseEvent): HeatCell | null {
  const m = svg.getScreenCTM();
  if (!m) return null;
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
  const to = Math.floor((p.x - M) / S);
  const from = Math.floor((p.y - M) / S);
  return from >= 0 && from < n && to >= 0 && to < n ? { from, to } : null;
}

/**
 * Where a key moves the cursor on an `n` × `n` grid: arrows by one (by 10
 * with Shift), Page Up/Down by 10 rows, Home/End to the row's ends, all
 * kept inside the grid; `"select"` for Enter and Space; `undefined` for
 * other keys.
 *
 * @param key `KeyboardEvent.key`.
 * @param shift Whether Shift is held.
 * @param cursor The cursor now.
 * @param n The number of nodes.
 * @returns The new cursor, `"select"`, or `undefined`.
 * @example
 * ```ts
 * import { moveCursor } from "./heatmap-grid.js";
 * moveCursor("ArrowDown", true, { from: 95, to: 3 }, 100); // { from: 99, to: 3 }
 * ```
 */
export function moveCursor(
  key: string,
  shift: boolean,
  cursor: HeatCell,
  n: number,
): HeatCell | "select" | undefined {
  const step = shift ? 10 : 1;
  const clamp = (x: number) => Math.max(0, Math.min(n - 1, x));
  const { from, to } = cursor;
  switch (key) {
    case "ArrowUp":
      return { from: clamp(from - step), to };
    case "ArrowDown":
      return { from: clamp(from + step), to };
    case "ArrowLeft":
      return { from, to: clamp(to - step) };
    case "ArrowRight":
      return { from, to: clamp(to + step) };
    case "PageUp":
      return { from: clamp(from - 10), to };
    case "PageDown":
      return { from: clamp(from + 10), to };
    case "Home":
      return { from, to: 0 };
    case "End":
      return { from, to: n - 1 };
    case "Enter":
    case " ":
      return "select";
    default:
      return undefined;
  }
}

/**
 * The table of failing node pairs, worst first, with a button per row;
 * "None" when every cell is green, and how many more when rows are cut.
 *
 * @param cells The cells.
 * @param options Language, test id prefix, rows shown, and what a row's button does.
 * @returns The table's contents.
 */
export function failingTable(
  cells: NodeCells,
  options: { lang: Lang; id: string; rows: number; show: (cell: HeatCell) => void },
): Node[] {
  const { lang, id } = options;
  const n = cells.nodes.length;
  const failing = [...cells.failing.keys()].filter((k) => cells.failing[k] > 0)
    .sort((a, b) => cells.failing[b] - cells.failing[a] || a - b);
  if (failing.length === 0) {
    return [html`<p>${say(lang, W.failingPairs)}: ${say(lang, W.none)}</p>`];
  }
  const shown = failing.slice(0, options.rows);
  const rows = shown.map((k) => {
    const from = Math.floor(k / n);
    const to = k % n;
    const button = html`<button type="button" data-testid=${`${id}-show-${from}-${to}`}>${
      say(lang, W.show)
    }</button>` as HTMLButtonElement;
    button.addEventListener("click", () => options.show({ from, to }));
    return html`
      <tr data-from=${from} data-to=${to}>
        <td><code>${cells.nodes[from]}</code></td>
        <td><code>${cells.nodes[to]}</code></td>
        <td>${fmt(lang, cells.failing[k])} ${say(lang, W.of)} ${fmt(lang, cells.total[k])}</td>
        <td>${say(lang, CAUSE_WORDS[CAUSES[cells.cause[k]]])}</td>
        <td>${button}</td>
      </tr>
    `;
  });
  const out: Node[] = [html`
    <table>
      <caption>${say(lang, W.failingPairs)}</caption>
      <thead>
        <tr>
          <th scope="col">${say(lang, W.from)}</th>
          <th scope="col">${say(lang, W.to)}</th>
          <th scope="col">${say(lang, W.failing)}</th>
          <th scope="col">${say(lang, W.why)}</th>
          <th scope="col"></th>
        </tr>
      </thead>
      <tbody>${rows}</tbody>
    </table>
  `];
  if (failing.length > shown.length) {
    out.push(
      html`<p class="pn-faint">… ${
        lang === "en"
          ? `and ${fmt(lang, failing.length - shown.length)} ${say(lang, W.more)}`
          : `${fmt(lang, failing.length - shown.length)}${say(lang, W.more)}`
      }</p>`,
    );
  }
  return out;
}
