/**
 * The "Debug your own cluster" page's parts: reading the files the reader
 * chose (in the page: nothing is sent anywhere), the importer's report
 * (what it inferred, and one block with everything podnet does not model),
 * and its problems, each naming the file, the JSON path and the value.
 *
 * @module
 */
import { html } from "./dom.js";
import { formatImportError, importCluster } from "../kernel/import/mod.js";
import type { Imported } from "../kernel/import/mod.js";
import type { Lang } from "./i18n.js";

/** A file as Observable's file input gives it. */
export interface ChosenFile {
  readonly name: string;
  text(): Promise<string>;
}

/** What the page shows after the reader chose files. */
export type DebugState =
  | { readonly kind: "empty" }
  | { readonly kind: "refused"; readonly errors: readonly string[] }
  | { readonly kind: "imported"; readonly imported: Imported };

/** At most this many bytes per file are read (the importer refuses larger ones too). */
const MAX_BYTES = 64 * 1024 * 1024;

/**
 * Reads the chosen files in the page and imports them.
 *
 * @param nodes The nodes' collector documents.
 * @param pods `kubectl get pods -A -o json`, if chosen.
 * @returns What to show.
 */
export async function importChosen(
  nodes: readonly ChosenFile[] | null | undefined,
  pods: ChosenFile | null | undefined,
): Promise<DebugState> {
  if (!nodes || nodes.length === 0) return { kind: "empty" };
  const read = async (f: ChosenFile) => {
    const size = (f as { size?: number }).size ?? 0;
    if (size > MAX_BYTES) return { file: f.name, text: "" };
    return { file: f.name, text: await f.text() };
  };
  const r = importCluster(await Promise.all(nodes.map(read)), pods ? await read(pods) : undefined);
  return r.ok
    ? { kind: "imported", imported: r.value }
    : { kind: "refused", errors: r.error.slice(0, 30).map(formatImportError) };
}

const WORDS = {
  summary: {
    en: (n: number, p: number, s: number) => `${n} node(s), ${p} pod(s), ${s} underlay segment(s)`,
    ko: (n: number, p: number, s: number) => `노드 ${n}개, 파드 ${p}개, 언더레이 세그먼트 ${s}개`,
  },
  inferred: { en: "What the importer inferred", ko: "가져오면서 추론한 것" },
  none: {
    en: "Everything collected is in the model: no device, route or rule was left out.",
    ko: "수집한 모든 것이 모델 안에 있습니다. 빠진 장치, 라우트, 규칙이 없습니다.",
  },
  warning: {
    en: (n: number) =>
      `${n} thing(s) podnet does not model. A trace that reaches one marked ! stops there and names it instead of guessing; the others no IPv4 packet meets.`,
    ko: (n: number) =>
      `podnet이 모델링하지 않는 것 ${n}개. !로 표시된 것에 닿는 추적은 추측하지 않고 그 자리에서 멈추며 그것을 밝힙니다. 나머지는 IPv4 패킷이 지나가지 않습니다.`,
  },
};

/**
 * The importer's report: a summary line, the inferences, and the
 * unmodelled block (test ids `ID-report`, `ID-unmodelled`).
 *
 * @param imported A successful import.
 * @param options Language and test id prefix.
 * @returns The report.
 */
export function importReport(imported: Imported, options: { lang: Lang; id: string }) {
  const { lang, id } = options;
  const w = imported.world;
  const u = imported.report.unmodelled;
  return html`<div class="pn-import" data-testid=${`${id}-report`}>
    <p><strong>${WORDS.summary[lang](w.nodes.length, w.pods.length, w.segments.length)}</strong></p>
    <details open><summary>${WORDS.inferred[lang]}</summary>
      <ul>${imported.report.inferred.map((s) => html`<li>${s}</li>`)}</ul>
    </details>
    ${
    u.length === 0
      ? html`<p data-testid=${`${id}-unmodelled`} data-count="0">${WORDS.none[lang]}</p>`
      : html`
        <div class="pn-error" role="status" data-testid=${`${id}-unmodelled`} data-count=${u
          .length}>
          <strong>${WORDS.warning[lang](u.length)}</strong>
          <ul>${u.map((x) =>
            html`<li><code>${
              x.meets ? "!" : "-"
            }</code> ${x.namespace}: ${x.what} — <code>${x.text}</code></li>`
          )}</ul>
        </div>
      `
  }
  </div>` as HTMLElement;
}
