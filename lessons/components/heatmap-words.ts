/**
 * The heatmap's words in English and Korean, and how it writes numbers.
 * Shared by the heatmap (`heatmap.ts`) and its grid and table
 * (`heatmap-grid.ts`).
 *
 * @module
 */
import type { Cause } from "../kernel/verify/mod.js";
import type { Lang, Phrase } from "./i18n.js";

/** The heatmap's phrases. */
export const W = {
  caption: {
    en: "Reachability between the pods of every ordered pair of nodes",
    ko: "모든 (순서 있는) 노드 쌍 사이 파드들의 도달 여부",
  },
  rows: { en: "rows: sending node", ko: "행: 보내는 노드" },
  cols: { en: "columns: receiving node", ko: "열: 받는 노드" },
  keys: {
    en: "Click a cell, or focus the map and use the arrow keys (Shift: 10 at a time) and Enter.",
    ko: "칸을 누르거나, 지도에 초점을 두고 화살표 키(Shift: 10칸씩)와 Enter를 쓰세요.",
  },
  mapLabel: {
    en: "Reachability heatmap, node by node. Arrow keys move, Enter shows the pair.",
    ko: "노드별 도달 히트맵. 화살표 키로 움직이고 Enter로 그 쌍을 봅니다.",
  },
  ok: { en: "every pod pair reaches", ko: "모든 파드 쌍이 닿음" },
  empty: { en: "no pod pairs", ko: "파드 쌍 없음" },
  shade: {
    en: "A darker colour means a larger share of the node pair's pod pairs fails.",
    ko: "색이 진할수록 그 노드 쌍의 파드 쌍 중 실패하는 비율이 큽니다.",
  },
  failingPairs: { en: "Failing node pairs", ko: "실패하는 노드 쌍" },
  from: { en: "from", ko: "보내는 노드" },
  to: { en: "to", ko: "받는 노드" },
  failing: { en: "failing pod pairs", ko: "실패한 파드 쌍" },
  why: { en: "why", ko: "원인" },
  show: { en: "show", ko: "보기" },
  more: { en: "more node pairs", ko: "개 노드 쌍 더" },
  none: { en: "None: every cell is green.", ko: "없음: 모든 칸이 초록색입니다." },
  of: { en: "of", ko: "/" },
  pick: {
    en: "Pick a cell of the heatmap (or a row of the table under it) to see its pod pairs " +
      "and one of them traced hop by hop.",
    ko: "히트맵의 칸(또는 아래 표의 행)을 고르면 그 파드 쌍들과, 그중 하나를 홉마다 추적한 " +
      "결과가 나옵니다.",
  },
  allReach: {
    en: "All pod pairs reach each other NAT-free.",
    ko: "모든 파드 쌍이 NAT 없이 닿습니다.",
  },
  example: { en: "e.g.", ko: "예:" },
  oneTraced: { en: "One pair, traced hop by hop", ko: "한 쌍을 홉마다 추적" },
  seen: { en: "the receiver sees", ko: "받는 쪽이 보는 주소" },
  noTrace: {
    en: "This cluster has no kernel world, so there is no trace to show.",
    ko: "이 클러스터에는 커널 월드가 없어 보여 줄 추적이 없습니다.",
  },
  last: { en: "Last re-check", ko: "마지막 재검사" },
  all: { en: "All re-checks", ko: "모든 재검사" },
  incremental: { en: "incremental", ko: "증분" },
  full: { en: "full re-verification", ko: "전체 재검증" },
  nothingChanged: { en: "nothing changed", ko: "바뀐 것 없음" },
  step: { en: "step", ko: "단계" },
  steps: { en: "steps", ko: "단계" },
  changed: { en: "changed", ko: "바뀐 곳" },
  cellsTime: { en: "heatmap data", ko: "히트맵 데이터" },
  drawTime: { en: "redraw", ko: "다시 그리기" },
  noneYet: {
    en: "No re-check yet: break something above.",
    ko: "아직 재검사 없음: 위에서 무언가를 망가뜨려 보세요.",
  },
  run: { en: "Verify it now, in a worker", ko: "지금 워커에서 검증하기" },
  running: { en: "Verifying in a Web Worker…", ko: "웹 워커에서 검증 중…" },
} as const satisfies Record<string, Phrase>;

/** What each cause is called in the legend and the details. */
export const CAUSE_WORDS: Record<Cause, Phrase> = {
  route: { en: "no route (or a reject route)", ko: "경로 없음 (또는 거부 경로)" },
  "next-hop": {
    en: "the next hop or receiver does not answer",
    ko: "다음 홉이나 받는 쪽이 응답하지 않음",
  },
  forwarding: { en: "forwarding off or filtered", ko: "포워딩 꺼짐 또는 차단" },
  loop: { en: "routing loop (TTL runs out)", ko: "라우팅 루프 (TTL 소진)" },
  nat: { en: "source address rewritten (NAT)", ko: "출발지 주소가 바뀜 (NAT)" },
  other: { en: "something else (MTU, martian…)", ko: "그 밖의 원인 (MTU, 마션…)" },
};

/** A count (or a time, with `digits`) as the page's language writes it. */
export const fmt = (lang: Lang, n: number, digits = 0): string =>
  n.toLocaleString(lang === "en" ? "en-US" : "ko-KR", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
