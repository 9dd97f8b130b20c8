/**
 * The words the lesson components put on the page, in English and Korean.
 * The kernel says what happened to a packet (src/render/describe.ts); this
 * table names the controls and headings around it.
 *
 * @module
 */

/** The course languages. */
export type Lang = "en" | "ko";

/** One phrase in both languages. */
export interface Phrase {
  readonly en: string;
  readonly ko: string;
}

/** Picks the phrase for a language. */
export function say(lang: Lang, phrase: Phrase): string {
  return phrase[lang];
}

/** Every fixed phrase of the components, by purpose. */
export const UI = {
  diagram: { en: "Topology of the simulated cluster", ko: "시뮬레이션된 클러스터의 구성도" },
  hop: { en: "Hop", ko: "홉" },
  of: { en: "of", ko: "/" },
  prev: { en: "Previous hop", ko: "이전 홉" },
  next: { en: "Next hop", ko: "다음 홉" },
  steps: { en: "What happened here", ko: "여기서 일어난 일" },
  packetIn: { en: "arrives as", ko: "들어올 때" },
  packetOut: { en: "leaves as", ko: "나갈 때" },
  outer: { en: "outer", ko: "바깥" },
  inner: { en: "inner", ko: "안쪽" },
  field: { en: "field", ko: "필드" },
  bytes: { en: "Bytes on the wire as it leaves", ko: "나갈 때의 실제 바이트" },
  bytesNone: {
    en: "No Ethernet header yet, so no bytes to show for this hop.",
    ko: "아직 이더넷 헤더가 없어 이 홉에서는 보여 줄 바이트가 없습니다.",
  },
  offset: { en: "offset", ko: "오프셋" },
  layer: { en: "layer", ko: "계층" },
  delivered: { en: "Delivered", ko: "전달됨" },
  dropped: { en: "Dropped", ko: "폐기됨" },
  senderSees: { en: "The sender sees", ko: "보낸 쪽이 보는 것" },
  receiverSees: { en: "The receiver sees source address", ko: "받는 쪽이 보는 출발지 주소는" },
  ownAddress: { en: "the sender's own, so no NAT", ko: "보낸 쪽 자신의 주소, 즉 NAT 없음" },
  otherAddress: {
    en: "not the sender's: something on the way rewrote it",
    ko: "보낸 쪽 주소가 아님: 가는 길에 누군가 바꿨음",
  },
  wrongPod: { en: "but the intended pod was", ko: "원래 보내려던 파드는" },
  problem: { en: "Problem", ko: "문제" },
  from: { en: "from", ko: "보내는 곳" },
  to: { en: "to", ko: "받는 곳" },
  proto: { en: "protocol", ko: "프로토콜" },
  port: { en: "port", ko: "포트" },
  branch: { en: "branch (endpoint)", ko: "분기(엔드포인트)" },
  firstBranch: { en: "first rule that matches", ko: "처음 맞는 규칙" },
  size: { en: "size (bytes)", ko: "크기(바이트)" },
  df: { en: "don't fragment (DF)", ko: "단편화 금지(DF)" },
  breakage: { en: "break", ko: "망가뜨리기" },
  nothing: { en: "nothing: leave it working", ko: "없음: 그대로 두기" },
  tables: { en: "Routing tables (ip route)", ko: "라우팅 테이블 (ip route)" },
  rules: { en: "Netfilter rules (iptables -S)", ko: "넷필터 규칙 (iptables -S)" },
  tableHint: {
    en: "Edit a line and the page re-traces at once. A line the kernel cannot read is named " +
      "below its table, and the page keeps using that table's last good version.",
    ko: "줄을 고치면 페이지가 바로 다시 추적합니다. 커널이 읽지 못하는 줄은 표 아래에 " +
      "알려 주고, 그동안 페이지는 그 표의 마지막 정상 버전을 씁니다.",
  },
  line: { en: "line", ko: "줄" },
  usingLastGood: {
    en: "still using the last table that worked",
    ko: "마지막으로 동작한 표를 계속 사용 중",
  },
  reset: { en: "Reset", ko: "되돌리기" },
  exercise: { en: "Exercise: fix it", ko: "연습: 고쳐 보기" },
  solved: { en: "Fixed — the kernel confirms it.", ko: "해결! 커널이 확인했습니다." },
  notYet: { en: "Not fixed yet.", ko: "아직 고쳐지지 않았습니다." },
  hint: { en: "Hint", ko: "힌트" },
  cellNotReady: {
    en: "The cell above has not made a world yet, so there is nothing to judge",
    ko: "위 셀이 아직 월드를 만들지 못해 판정할 것이 없습니다",
  },
  cellLastGood: {
    en: "The cell's last run failed; this still judges the world from its last good run",
    ko: "셀의 마지막 실행이 실패했습니다. 판정은 마지막으로 성공한 실행의 월드로 합니다",
  },
  keptEdits: {
    en: "Your edits from earlier are kept here; Reset goes back to the table the cell made.",
    ko: "앞서 고친 내용을 그대로 두었습니다. 되돌리기를 누르면 셀이 만든 표로 돌아갑니다.",
  },
  keptActions: {
    en: "Your earlier steps are replayed here; Reset starts over.",
    ko: "앞서 누른 단계를 다시 적용했습니다. 되돌리기를 누르면 처음부터 시작합니다.",
  },
  cellFailed: { en: "This cell failed", ko: "이 셀이 실패했습니다" },
  cellHow: {
    en:
      "Edit the code above and press Run (or Ctrl/⌘-Enter): it runs right here, in a worker in your browser. With the source checked out you can also run `deno task dev`, edit this cell in ",
    ko:
      "위 코드를 고치고 실행(또는 Ctrl/⌘-Enter)을 누르면 브라우저의 워커에서 바로 실행됩니다. 소스를 받아 두었다면 `deno task dev`를 실행하고 ",
  },
  cellHowEnd: {
    en: " and save — the page updates by itself.",
    ko: "에서 이 셀을 고쳐 저장해도 페이지가 저절로 바뀝니다.",
  },
  pod: { en: "pod", ko: "파드" },
  node: { en: "node", ko: "노드" },
  namespace: { en: "namespace", ko: "네임스페이스" },
  ip: { en: "IP", ko: "IP" },
  containers: { en: "containers", ko: "컨테이너" },
  noSandbox: { en: "(no sandbox)", ko: "(샌드박스 없음)" },
  events: { en: "What happened", ko: "일어난 일" },
  holds: { en: "holds", ko: "유지" },
  check: { en: "check", ko: "검사" },
  holdsRule: { en: "holds", ko: "성립" },
  fails: { en: "fails", ko: "깨짐" },
  checked: { en: "cases checked", ko: "건 검사" },
  counterexamples: { en: "counterexamples", ko: "반례" },
  noTrace: { en: "Nothing to trace", ko: "추적할 것이 없음" },
} as const satisfies Record<string, Phrase>;
