/**
 * Predict, then see: a question the learner answers before the page shows
 * the answer — which hop drops the packet, what TTL arrives, which source
 * address the receiver sees, what `ip route get` prints. Every answer is
 * computed by the kernel from the page's world, so it cannot disagree with
 * the trace below it; the explanation is the kernel's own words.
 *
 * Answers are kept in localStorage per lesson (the same for both languages),
 * and the sidebar shows, next to each lesson, how many of its questions the
 * learner has answered.
 *
 * @module
 */
import { html } from "./dom.js";
import * as kernel from "../kernel/mod.js";
import type { Probe, World } from "../kernel/mod.js";
import { type Lang, type Phrase, say } from "./i18n.js";
import { PAGES, parsePath } from "./pages.js";

/** One question: what to ask, the choices, the kernel's answer and why. */
export interface Prediction {
  readonly ask: Phrase;
  readonly choices: readonly { readonly key: string; readonly label: string }[];
  /** The key of the right choice. */
  readonly answer: string;
  /** The kernel's explanation, in the page's language. */
  readonly why: string;
}

const T = {
  predict: { en: "Predict, then see", ko: "예측한 뒤 확인하기" },
  check: { en: "Check my answer", ko: "내 답 확인" },
  again: { en: "Try again", ko: "다시 풀기" },
  right: { en: "Right.", ko: "맞았습니다." },
  wrong: { en: "Not quite — the kernel says:", ko: "아쉽습니다. 커널의 답은" },
  arrives: { en: "it arrives", ko: "도착한다" },
  noRoute: {
    en: "no route: RTNETLINK answers: Network is unreachable",
    ko: "경로 없음: Network is unreachable",
  },
  answered: { en: "questions answered", ko: "문제 답함" },
} as const satisfies Record<string, Phrase>;

/** The lesson a site path shows, also under a base path (`/podnet/ko/hosts`). */
function pageOf(pathname: string) {
  const at = pathname.search(/\/(en|ko)(\/|$)/);
  return at < 0 ? null : parsePath(pathname.slice(at).replace(/\.html$/, ""));
}

function traced(world: World, probe: Probe) {
  return kernel.unwrap(kernel.trace(world, probe), kernel.formatProbeError);
}

/**
 * "Where does the packet end?": each namespace the world has, or "it arrives".
 *
 * @param world The world to trace in.
 * @param probe The packet.
 * @param ask The question.
 * @param lang The page's language.
 */
export function whereItEnds(world: World, probe: Probe, ask: Phrase, lang: Lang): Prediction {
  const t = traced(world, probe);
  const v = t.verdict;
  const arrive = `${say(lang, T.arrives)}${v.kind === "delivered" && v.pod ? ` (${v.pod})` : ""}`;
  const choices = [
    { key: "delivered", label: arrive },
    ...world.namespaces.map((n) => ({
      key: n.name,
      label: lang === "en" ? `dropped in ${n.name}` : `${n.name}에서 버려진다`,
    })),
  ];
  return {
    ask,
    choices,
    answer: v.kind === "delivered" ? "delivered" : v.namespace,
    why: kernel.describeVerdict(v, lang),
  };
}

/**
 * "With what TTL does it arrive?": 64 down to 60.
 *
 * @param world The world to trace in.
 * @param probe The packet (it must be delivered).
 * @param ask The question.
 * @param lang The page's language.
 */
export function arrivalTtl(world: World, probe: Probe, ask: Phrase, lang: Lang): Prediction {
  const t = traced(world, probe);
  const v = t.verdict;
  if (v.kind !== "delivered") throw new Error(`${probe.from} → ${probe.to} is not delivered`);
  const sent = t.hops[0].before.ip.ttl;
  const routed = t.hops.flatMap((h) => h.steps).filter((s) => s.kind === "ttl").length;
  const choices = [0, 1, 2, 3].map((k) => String(sent - k));
  return {
    ask,
    choices: choices.map((c) => ({ key: c, label: `TTL ${c}` })),
    answer: String(v.ttl),
    why: lang === "en"
      ? `It left with TTL ${sent} and was routed ${routed} time${
        routed === 1 ? "" : "s"
      }; each router takes one off, a bridge takes none. ${kernel.describeVerdict(v, lang)}`
      : kernel
        .ko`TTL ${sent}로 출발해 ${routed}번 라우팅되었습니다. 라우터는 하나씩 줄이고 브리지는 줄이지 않습니다. ${
        kernel.describeVerdict(v, lang)
      }`,
  };
}

/**
 * "Which source address does the receiver see?": the sender's own address,
 * every node's and router's addresses, and the answer.
 *
 * @param world The world to trace in.
 * @param probe The packet (it must be delivered).
 * @param ask The question.
 * @param lang The page's language.
 */
export function seenSource(world: World, probe: Probe, ask: Phrase, lang: Lang): Prediction {
  const t = traced(world, probe);
  const v = t.verdict;
  if (v.kind !== "delivered") throw new Error(`${probe.from} → ${probe.to} is not delivered`);
  const own = t.hops[0].before.ip.src.toString();
  const others = world.namespaces
    .filter((n) => n.role !== "pod")
    .flatMap((n) => n.devices.filter((d) => d.name === "eth0"))
    .flatMap((d) => d.addresses.map((a) => a.addr.toString()));
  const keys = [...new Set([own, ...others, v.src.toString()])];
  return {
    ask,
    choices: keys.map((k) => ({
      key: k,
      label: k === own
        ? (lang === "en" ? `${k} (the sender's own)` : `${k} (보낸 쪽 자신의 주소)`)
        : k,
    })),
    answer: v.src.toString(),
    why: kernel.describeVerdict(v, lang),
  };
}

/**
 * "From which address does the answer come back?": for a probe to a
 * Service, the source address the reply reaches the client with — the
 * Service's address when conntrack undid the DNAT on the way back.
 *
 * @param world The world to trace in.
 * @param probe The request (it must reach an endpoint, so that a reply is traced).
 * @param ask The question.
 * @param lang The page's language.
 */
export function replySource(world: World, probe: Probe, ask: Phrase, lang: Lang): Prediction {
  const t = traced(world, probe);
  const reply = t.reply;
  if (!reply) throw new Error(`${probe.from} → ${probe.to} has no reply`);
  const v = reply.verdict;
  const endpoint = t.verdict.kind === "delivered" ? t.verdict.namespace : undefined;
  const endpointIp = reply.hops[0].before.ip.src.toString();
  const nodes = world.namespaces.filter((n) => n.role !== "pod")
    .flatMap((n) => n.devices.filter((d) => d.name === "eth0"))
    .flatMap((d) => d.addresses.map((a) => a.addr.toString()));
  const got = v.kind === "delivered" ? v.src.toString() : "none";
  const keys = [...new Set([probe.to, endpointIp, ...nodes, got])];
  return {
    ask,
    choices: keys.map((k) => ({
      key: k,
      label: k === endpointIp && endpoint
        ? (lang === "en" ? `${k} (the endpoint, ${endpoint})` : `${k} (엔드포인트 ${endpoint})`)
        : k,
    })),
    answer: got,
    why: kernel.describeVerdict(v, lang),
  };
}

/**
 * "What does `ip route get DST` print in NS?": the route that wins, among
 * the table's routes (at most `limit` choices, the answer always among them).
 *
 * @param world The world.
 * @param ns The namespace whose table to ask.
 * @param dst The destination address.
 * @param ask The question.
 * @param lang The page's language.
 * @param limit How many choices at most.
 */
export function routeGet(
  world: World,
  ns: string,
  dst: string,
  ask: Phrase,
  lang: Lang,
  limit = 5,
): Prediction {
  const n = kernel.namespaceNamed(world, ns);
  if (!n) throw new Error(`no namespace ${ns}`);
  const addr = kernel.unwrap(kernel.Addr.parse(dst), (e) => String(e));
  const best = kernel.lookupRoute(n, addr);
  const lines = n.routes.map((r) => kernel.formatRoute(r));
  const answer = best ? kernel.formatRoute(best) : "none";
  const around = lines.filter((l) => l !== answer).slice(0, limit - 2);
  const keys = best ? [...around, answer] : around;
  const choices = [
    ...lines.filter((l) => keys.includes(l)).map((l) => ({ key: l, label: l })),
    { key: "none", label: say(lang, T.noRoute) },
  ];
  const why = best
    ? lang === "en"
      ? `Of the routes whose prefix contains ${dst}, the longest wins: ${answer}.`
      : kernel.ko`${dst}를 포함하는 경로 가운데 접두사가 가장 긴 것이 이깁니다: ${answer}.`
    : lang === "en"
    ? `No route contains ${dst}: the lookup fails and the sender gets "network unreachable".`
    : kernel
      .ko`${dst}를 포함하는 경로가 없어 조회가 실패하고, 보낸 쪽은 "network unreachable"을 받습니다.`;
  return { ask, choices, answer, why };
}

/** Where a lesson's answers live: per lesson, for both languages. */
function storageKey(slug: string, id: string): string {
  return `podnet:predict:v1:${slug}:${id}`;
}

function read(key: string): string | undefined {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

function write(key: string, value: string | undefined): void {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // storage refused: the answer lasts as long as the page
  }
}

/** The questions each lesson asks, by id: what the sidebar counts. */
export const QUESTIONS: Readonly<Record<string, readonly string[]>> = {
  index: ["overview-ttl", "overview-source"],
  "pod-stack": ["stack-localhost", "stack-ttl"],
  pause: ["pause-restart", "pause-kill"],
  hosts: ["hosts-route-get", "hosts-ttl"],
  "flat-overlay": ["flat-nat-source", "flat-hairpin"],
  summary: ["summary-forward", "summary-route-get"],
  scale: ["scale-route-get", "scale-ttl"],
  services: ["services-reply-source", "services-hairpin"],
};

/**
 * Shows, next to each lesson in Framework's sidebar, how many of its
 * questions the learner has answered (`1/2`). Safe to call on any page.
 */
export function showProgress(): void {
  const sidebar = globalThis.document?.querySelector("#observablehq-sidebar");
  if (!sidebar) return;
  for (const a of sidebar.querySelectorAll<HTMLAnchorElement>("a[href]")) {
    const page = pageOf(new URL(a.href, location.href).pathname);
    const ids = page ? QUESTIONS[page.slug] : undefined;
    if (!page || !ids) continue;
    const done = ids.filter((id) => read(storageKey(page.slug, id)) !== undefined).length;
    let badge = a.querySelector<HTMLElement>(".pn-progress");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "pn-progress";
      a.append(" ", badge);
    }
    badge.textContent = `${done}/${ids.length}`;
    badge.dataset.done = String(done === ids.length);
    badge.setAttribute(
      "aria-label",
      `${done}/${ids.length} ${say(page.lang, T.answered)}`,
    );
  }
}

/**
 * A predict-then-see question. The learner picks a choice and commits; then
 * the kernel's answer and explanation appear. Test id `predict-ID`, with
 * `data-state` `open`, `right` or `wrong`; the choices are radio buttons
 * with `value` = the choice's key; `predict-ID-check` commits,
 * `predict-ID-again` starts over.
 *
 * @param q The question (from {@linkcode whereItEnds}, {@linkcode arrivalTtl}…).
 * @param options Language and id (one of the lesson's ids in {@linkcode QUESTIONS}).
 * @returns A `<fieldset>`.
 */
export function predictBox(q: Prediction, options: { lang: Lang; id: string }): HTMLElement {
  const { lang, id } = options;
  const slug = pageOf(location.pathname)?.slug ?? "index";
  if (!PAGES.some((p) => p.slug === slug)) throw new Error(`not a lesson: ${location.pathname}`);
  const key = storageKey(slug, id);
  const name = `predict-${id}`;
  const radios = q.choices.map((c) =>
    html`
      <label
        class="pn-predict-choice"><input type="radio" name=${name} value=${c.key}> <span>${c
          .label}</span></label>
    `
  );
  const check = html`<button type="button" data-testid=${`${name}-check`} disabled>${
    say(lang, T.check)
  }</button>` as HTMLButtonElement;
  const again = html`<button type="button" data-testid=${`${name}-again`} hidden>${
    say(lang, T.again)
  }</button>` as HTMLButtonElement;
  const reveal =
    html`<div class="pn-predict-reveal" data-testid=${`${name}-reveal`} aria-live="polite"></div>` as HTMLElement;
  const root = html`<fieldset class="pn-predict" data-testid=${name} data-state="open">
    <legend><span class="pn-predict-head">${say(lang, T.predict)}</span> ${
    say(lang, q.ask)
  }</legend>
    <div class="pn-predict-choices">${radios}</div>
    <div class="pn-buttons">${check}${again}</div>
    ${reveal}
  </fieldset>` as HTMLElement;
  const inputs = [...root.querySelectorAll<HTMLInputElement>("input[type=radio]")];
  const show = (picked: string | undefined) => {
    const answered = picked !== undefined;
    for (const input of inputs) {
      input.checked = input.value === picked;
      input.disabled = answered;
      const label = input.closest("label")!;
      label.classList.toggle("pn-predict-answer", answered && input.value === q.answer);
      label.classList.toggle(
        "pn-predict-miss",
        answered && input.value === picked && picked !== q.answer,
      );
    }
    check.hidden = answered;
    check.disabled = true;
    again.hidden = !answered;
    const right = picked === q.answer;
    root.dataset.state = answered ? (right ? "right" : "wrong") : "open";
    const answer = q.choices.find((c) => c.key === q.answer)?.label ?? q.answer;
    reveal.replaceChildren(
      ...(answered
        ? [
          html`<p><strong>${
            right ? `✓ ${say(lang, T.right)}` : `✗ ${say(lang, T.wrong)}`
          }</strong> ${right ? "" : html`<code>${answer}</code>`}</p>`,
          html`<p>${q.why}</p>`,
        ]
        : []),
    );
    showProgress();
  };
  for (const input of inputs) {
    input.addEventListener("change", () => (check.disabled = false));
  }
  check.addEventListener("click", () => {
    const picked = inputs.find((i) => i.checked)?.value;
    if (picked === undefined) return;
    write(key, picked);
    show(picked);
  });
  again.addEventListener("click", () => {
    write(key, undefined);
    show(undefined);
  });
  const saved = read(key);
  show(saved !== undefined && q.choices.some((c) => c.key === saved) ? saved : undefined);
  return root;
}
