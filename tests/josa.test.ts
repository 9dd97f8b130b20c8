/**
 * Korean particles after values (src/render/josa.ts), tested on the whole
 * class: every Hangul syllable, every number read the Sino-Korean way
 * (checked against a reader that spells the number out in Hangul),
 * every IPv4 address and prefix, and the names podnet's scenarios use.
 *
 * Run alone with `deno run -A tests/josa.test.ts`.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { ending, josa, ko } from "../src/render/josa.ts";

const params = { seed: Number(Deno.env.get("SEED") ?? Date.now() % 2 ** 31), numRuns: 500 };
// deno-lint-ignore no-explicit-any
const property = (p: fc.IRawProperty<any>) => {
  try {
    fc.assert(p, params);
  } catch (e) {
    throw new Error(`seed ${params.seed}: ${(e as Error).message}`);
  }
};

/** The final consonant of a Hangul syllable, as the oracle sees it (jamo index). */
const finalOf = (syllable: string) => (syllable.codePointAt(0)! - 0xac00) % 28;
const endingOfSyllable = (s: string) => {
  const f = finalOf(s);
  return f === 0 ? "vowel" : f === 8 ? "rieul" : "consonant";
};

/** Spells a non-negative integer out in Sino-Korean: 1500 → 천오백, 10 → 십, 0 → 영. */
function readNumber(n: bigint): string {
  if (n === 0n) return "영";
  const digits = ["", "일", "이", "삼", "사", "오", "육", "칠", "팔", "구"];
  const small = ["", "십", "백", "천"];
  const big = ["", "만", "억", "조", "경"];
  let out = "";
  let group = 0;
  while (n > 0n) {
    const chunk = Number(n % 10000n);
    n /= 10000n;
    if (chunk > 0) {
      let words = "";
      for (let i = 3; i >= 0; i--) {
        const d = Math.floor(chunk / 10 ** i) % 10;
        if (d === 0) continue;
        words += (d === 1 && i > 0 ? "" : digits[d]) + small[i];
      }
      out = words + big[group] + out;
    }
    group++;
  }
  return out;
}

test("every Hangul syllable: 이/가, 을/를, 은/는, 과/와 by its final consonant, 로 after ㄹ", () => {
  for (let c = 0xac00; c <= 0xd7a3; c++) {
    const s = String.fromCodePoint(c);
    const f = finalOf(s);
    assert.is(josa(s, "가"), s + (f ? "이" : "가"), s);
    assert.is(josa(s, "를"), s + (f ? "을" : "를"), s);
    assert.is(josa(s, "는"), s + (f ? "은" : "는"), s);
    assert.is(josa(s, "와"), s + (f ? "과" : "와"), s);
    assert.is(josa(s, "로"), s + (f && f !== 8 ? "으로" : "로"), s);
  }
});

test("numbers take the particle of their Korean reading (1500은, 10을, 2를, 0으로, 7로)", () => {
  property(fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (n) => {
    const read = readNumber(n);
    assert.is(ending(String(n)), endingOfSyllable(read.at(-1)!), `${n} (${read})`);
  }));
  assert.is(josa(1500, "는"), "1500은");
  assert.is(josa(1450, "을"), "1450을");
  assert.is(josa(64, "가"), "64가");
  assert.is(josa(63, "이"), "63이");
  assert.is(josa(8472, "로"), "8472로");
  assert.is(josa(4789, "로"), "4789로");
  assert.is(josa(0, "로"), "0으로");
});

test("addresses and prefixes end like their last number (10.244.2.0으로, 10.244.2.0/24로)", () => {
  const octet = fc.integer({ min: 0, max: 255 });
  property(
    fc.property(
      fc.tuple(octet, octet, octet, octet),
      fc.option(fc.integer({ min: 0, max: 32 })),
      (ip, len) => {
        const addr = ip.join(".") + (len === null ? "" : `/${len}`);
        const last = BigInt(len ?? ip[3]);
        assert.is(ending(addr), endingOfSyllable(readNumber(last).at(-1)!), addr);
        const form = josa(addr, "로").slice(addr.length);
        assert.is(form, ending(addr) === "consonant" ? "으로" : "로", addr);
      },
    ),
  );
  assert.is(josa("10.244.2.0", "로"), "10.244.2.0으로");
  assert.is(josa("10.244.2.0/24", "로"), "10.244.2.0/24로");
  assert.is(josa("192.168.0.11:8080", "로"), "192.168.0.11:8080으로");
  assert.is(josa("169.254.1.1", "이"), "169.254.1.1이");
});

test("names: pods, devices, nodes and acronyms as a Korean reader says them", () => {
  const cases: [string, string][] = [
    ["a", "가"], // 에이
    ["b", "가"], // 비
    ["c", "가"], // 씨
    ["d", "가"], // 디
    ["l", "이"], // 엘
    ["m", "이"], // 엠
    ["app", "이"], // 앱
    ["pod-a", "가"],
    ["sidecar", "가"], // 사이드카
    ["pause", "가"],
    ["gateway", "가"],
    ["node-1", "이"], // 노드 일
    ["node-2", "가"], // 노드 이
    ["eth0", "이"], // 영
    ["cni0", "이"],
    ["docker0", "이"],
    ["flannel.1", "이"],
    ["flannel", "이"], // 플라넬
    ["cali1a2b3c", "가"], // …씨
    ["lo", "가"],
    ["TTL", "이"], // 티티엘
    ["MTU", "가"], // 엠티유
    ["NAT", "이"], // 낫
    ["MAC", "이"], // 맥
    ["VXLAN", "이"], // 브이엑스랜
    ["FDB", "가"], // 에프디비
    ["CNI", "가"],
    ["Calico", "가"],
    ["`cni0`", "이"],
    ["(flannel.1)", "이"],
  ];
  for (const [word, particle] of cases) {
    assert.is(josa(word, "가"), word + particle, word);
  }
  assert.is(josa("flannel.1", "로"), "flannel.1로"); // 일: ㄹ takes 로
  assert.is(josa("TTL", "로"), "TTL로");
  assert.is(josa("eth0", "로"), "eth0으로");
  assert.is(josa("app", "로"), "app으로");
});

test("ko`…`: a particle right after a value follows the value; other Hangul is left alone", () => {
  const dst = "10.244.2.0", mtu = 1500, pod = "app", dev = "flannel.1";
  assert.is(ko`${dst}로 가는 경로 없음`, "10.244.2.0으로 가는 경로 없음");
  assert.is(ko`MTU ${mtu}는 ${pod}가 ${dev}를 통해`, "MTU 1500은 app이 flannel.1을 통해");
  assert.is(ko`${dst}으로는`, "10.244.2.0으로는");
  assert.is(ko`${"a"}으로의 경로`, "a로의 경로");
  assert.is(ko`${pod}이다`, "app이다"); // not a particle: more Hangul follows 이
  assert.is(ko`${pod}가능`, "app가능"); // 가 followed by Hangul is not the particle
  assert.is(ko`${mtu}바이트`, "1500바이트");
  assert.is(ko`값: ${mtu}`, "값: 1500");
  property(fc.property(fc.nat(), (n) => {
    assert.is(ko`${n}를 봄`, `${josa(n, "를")} 봄`);
  }));
});

test.run();
