/**
 * Korean particles (조사) after live values. Whether a particle takes its
 * consonant form (이, 을, 은, 과, 으로) depends on how the word before it
 * is *read*: `1500은` (천오백), `10.244.2.0으로` (…영), `10.244.2.0/24로`
 * (…이십사), `app이` (앱), `a가` (에이), `TTL을` (티티엘). A message that
 * glues a fixed particle to a number, address or name is wrong for half of
 * them, so Korean text with a value in front of a particle goes through
 * {@linkcode ko} (a tagged template) or {@linkcode josa}.
 *
 * @example
 * ```ts
 * import { josa, ko } from "./josa.js";
 * josa("1500", "는"); // "1500은"
 * const dst = "10.244.2.0";
 * ko`${dst}로 가는 경로 없음`; // "10.244.2.0으로 가는 경로 없음"
 * ```
 *
 * @module
 */

/** How a word ends when read aloud: no final consonant, final ㄹ, or another final consonant. */
export type Ending = "vowel" | "rieul" | "consonant";

/** The particles this module chooses between, by either of their forms. */
export type Particle =
  | "이"
  | "가"
  | "을"
  | "를"
  | "은"
  | "는"
  | "과"
  | "와"
  | "으로"
  | "로"
  | "이나"
  | "나"
  | "이라"
  | "라";

const PAIRS: Record<Particle, readonly [consonant: string, vowel: string]> = {
  이: ["이", "가"],
  가: ["이", "가"],
  을: ["을", "를"],
  를: ["을", "를"],
  은: ["은", "는"],
  는: ["은", "는"],
  과: ["과", "와"],
  와: ["과", "와"],
  으로: ["으로", "로"],
  로: ["으로", "로"],
  이나: ["이나", "나"],
  나: ["이나", "나"],
  이라: ["이라", "라"],
  라: ["이라", "라"],
};

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;

function hangulEnding(ch: string): Ending {
  const final = (ch.codePointAt(0)! - HANGUL_FIRST) % 28;
  return final === 0 ? "vowel" : final === 8 ? "rieul" : "consonant";
}

// Sino-Korean digits: 영 일 이 삼 사 오 육 칠 팔 구.
const DIGITS: readonly Ending[] = [
  "consonant",
  "rieul",
  "vowel",
  "consonant",
  "vowel",
  "vowel",
  "consonant",
  "rieul",
  "rieul",
  "vowel",
];

/** How a run of digits ends when read as a number: `10` 십, `100` 백, `1000` 천, `10000` 만. */
function numberEnding(digits: string): Ending {
  const n = digits.replace(/^0+(?=\d)/, "");
  if (n === "0") return "consonant"; // 영
  const zeros = n.length - n.replace(/0+$/, "").length;
  if (zeros === 0) return DIGITS[Number(n[n.length - 1])];
  // 십, 백, 천, 만 (up to 10⁷), 억 (up to 10¹¹) all end in a consonant; 조 does not.
  return zeros < 12 ? "consonant" : "vowel";
}

// English letter names as Koreans read them: 에이 비 씨 디 이 에프 지 에이치 아이 제이 케이 엘 엠
// 엔 오 피 큐 알 에스 티 유 브이 더블유 엑스 와이 제트.
const LETTERS: Record<string, Ending> = {
  l: "rieul",
  m: "consonant",
  n: "consonant",
  r: "rieul",
  z: "consonant",
};

/** Acronyms and words read as words, not letter by letter. */
const WORDS: Record<string, Ending> = {
  nat: "consonant", // 낫
  dnat: "consonant",
  snat: "consonant",
  mac: "consonant", // 맥
  lan: "consonant", // 랜
  vxlan: "consonant",
  vlan: "consonant",
  wan: "consonant",
  arp: "vowel", // 아프
  pod: "vowel", // 파드
  node: "vowel",
  calico: "vowel",
  flannel: "rieul",
  weave: "vowel",
  docker: "vowel",
  kernel: "rieul",
  tunnel: "rieul",
  bridge: "vowel",
  gateway: "vowel",
  router: "vowel",
  table: "rieul",
  iptables: "vowel", // 아이피테이블스
  nftables: "vowel",
  masquerade: "vowel",
  linux: "vowel",
  host: "vowel",
  nginx: "vowel",
  ping: "consonant",
  ip: "vowel",
  ok: "vowel",
  ttl: "rieul",
  mtu: "vowel",
  veth: "vowel", // 브이이스
  eth: "vowel",
  cni: "vowel",
  bgp: "vowel",
  fdb: "vowel",
  vtep: "consonant", // 브이텝
  cidr: "vowel",
  pause: "vowel",
  app: "consonant", // 앱
  web: "consonant",
  lab: "consonant",
  db: "vowel",
  api: "vowel",
  dns: "vowel",
  tcp: "vowel",
  udp: "vowel",
  icmp: "vowel",
  drop: "consonant", // 드롭
  accept: "vowel", // 액셉트
  local: "rieul",
  blackhole: "rieul",
  unreachable: "rieul",
  prohibit: "consonant",
  down: "consonant",
  up: "consonant",
};

/** How an English word ends when read the Korean way (a heuristic for names not in the list). */
function latinEnding(word: string): Ending {
  const w = word.toLowerCase();
  const known = WORDS[w];
  if (known) return known;
  // Letter by letter: single letters and all-capital acronyms (MTU, FDB) are read as letter names.
  if (w.length === 1 || (word === word.toUpperCase() && word.length <= 5)) {
    return LETTERS[w[w.length - 1]] ?? "vowel";
  }
  if (/(ng|[mn])$/.test(w)) return "consonant"; // 핑, 팀, 랜
  if (/l$/.test(w)) return "rieul"; // 셸, 터널
  if (/([aeiou][bp]|pp|bb|ck|[aeiou]t|tt|[aiou]k|[aeiou]g)$/.test(w)) return "consonant"; // 랩, 앱, 스택, 넷
  return "vowel"; // -r, -d, -s, -x, -e, -y, -o …: 라우터, 파드, 박스, 노드
}

/** Characters skipped at the end of a word: closing quotes and brackets, code marks. */
const TRAILING = /[\s`'"”’)\]}>»」』]+$/u;

/**
 * How `word` ends when read aloud: its last Hangul syllable, its last number
 * (`10.244.2.0` → 영, `/24` → 사, `1500` → 천오백), or its last English word.
 *
 * @param word A word, number, address or name.
 * @returns Its ending.
 * @example
 * ```ts
 * import { ending } from "./josa.js";
 * ending("10.244.1.0/24"); // "vowel" (이십사)
 * ending("eth0"); // "consonant" (영)
 * ```
 */
export function ending(word: string): Ending {
  const w = word.replace(TRAILING, "");
  const last = w.at(-1) ?? "";
  const code = last.codePointAt(0) ?? 0;
  if (code >= HANGUL_FIRST && code <= HANGUL_LAST) return hangulEnding(last);
  const digits = /(\d+)$/.exec(w);
  if (digits) return numberEnding(digits[1]);
  const latin = /([A-Za-z]+)$/.exec(w);
  if (latin) return latinEnding(latin[1]);
  return "vowel";
}

/**
 * `word` followed by the right form of `particle`.
 *
 * @param word The word (a number, address, name, or Korean word).
 * @param particle Either form: `"이"` or `"가"`, `"을"` or `"를"`, `"으로"` or `"로"`…
 * @returns `word` and the particle, glued.
 * @example
 * ```ts
 * import { josa } from "./josa.js";
 * josa("10.244.2.0", "로"); // "10.244.2.0으로"
 * josa("flannel.1", "을"); // "flannel.1을"
 * josa("a", "이"); // "a가"
 * ```
 */
export function josa(word: string | number, particle: Particle): string {
  const w = String(word);
  const [consonant, vowel] = PAIRS[particle];
  const e = ending(w);
  if (consonant === "으로") return w + (e === "consonant" ? "으로" : "로");
  return w + (e === "vowel" ? vowel : consonant);
}

const HANGUL = /^[\uac00-\ud7a3]/;
// Longest first; 로 may be followed by more particles (로는, 로의, 로부터), the others may not.
const LEADING = /^(으로|로|이나|이라|이|가|을|를|은|는|과|와|나|라)/;
const GLUES_ON: ReadonlySet<string> = new Set(["으로", "로"]);

/**
 * A tagged template for Korean text with values in it: a particle written
 * right after a `${value}` is changed to the form that value needs.
 * `이/가`, `을/를`, `은/는`, `과/와` count as particles only when no other
 * Hangul follows them (so `${x}이다` is left alone); `(으)로` also before
 * more particles (`로는`, `로의`).
 *
 * @example
 * ```ts
 * import { ko } from "./josa.js";
 * const mtu = 1450, dev = "eth0";
 * ko`${dev}의 MTU가 ${mtu}를 넘음`; // "eth0의 MTU가 1450을 넘음"
 * ```
 */
export function ko(strings: TemplateStringsArray, ...values: readonly unknown[]): string {
  let out = strings[0];
  values.forEach((value, i) => {
    const v = String(value);
    let rest = strings[i + 1];
    const m = LEADING.exec(rest);
    if (m && v !== "") {
      const p = m[1] as Particle;
      const after = rest.slice(p.length);
      if (GLUES_ON.has(p) || !HANGUL.test(after)) {
        rest = josa(v, p).slice(v.length) + after;
      }
    }
    out += v + rest;
  });
  return out;
}
