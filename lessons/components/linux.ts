/**
 * "Try it on Linux": the shell script `deno task export` writes for a
 * scenario, shown under the lesson that uses it, so a reader can build the
 * same cluster in network namespaces on a Linux machine and compare.
 *
 * @module
 */
import { podIp, type World } from "../kernel/mod.js";
import { exportScript } from "../kernel/lab/export.js";
import { html } from "./dom.js";
import { type Lang, type Phrase, say } from "./i18n.js";

const T = {
  summary: {
    en: "Try it on Linux: the commands that build this cluster",
    ko: "리눅스에서 해 보기: 이 클러스터를 만드는 명령",
  },
  how: {
    en:
      "This is what `deno task export {file}` prints. As root on a Linux machine or VM, save it as `lab.sh` and run `sh lab.sh up`: it builds every node, pod and link of this cluster in network namespaces whose names start with `podnet-`, and touches nothing outside them. `ip netns exec podnet-pod-{from} ping -c1 {to}` then does what the traces on this page predict (podnet's tests check that with `deno task lab`); `sh lab.sh down` removes it all.",
    ko:
      "`deno task export {file}`이 출력하는 내용입니다. 리눅스 머신이나 VM에서 root로 `lab.sh`로 저장하고 `sh lab.sh up`을 실행하면, 이름이 `podnet-`으로 시작하는 네트워크 네임스페이스 안에 이 클러스터의 노드, 파드, 링크가 모두 만들어지고 그 밖은 건드리지 않습니다. 그다음 `ip netns exec podnet-pod-{from} ping -c1 {to}`는 이 페이지의 추적이 예측한 대로 동작합니다 (podnet의 테스트가 `deno task lab`으로 확인합니다). `sh lab.sh down`으로 모두 지웁니다.",
  },
  lines: { en: "lines", ko: "줄" },
} satisfies Record<string, Phrase>;

/** Turns `code` spans of a phrase into `<code>` elements. */
function withCode(text: string): (string | Node)[] {
  return text.split(/`([^`]+)`/).map((
    part,
    i,
  ) => (i % 2 === 1 ? html`<code>${part}</code>` as Node : part));
}

/**
 * A collapsed box with the export script of a world.
 *
 * @param world The scenario's world.
 * @param options Language, test id, and the scenario file the page loaded.
 * @returns A `<details>` element.
 */
export function tryOnLinux(
  world: World,
  options: { lang: Lang; id: string; file: string },
): HTMLElement {
  const { lang, id, file } = options;
  const script = exportScript(world);
  const text = script.ok ? script.value : `# ${script.error.message}`;
  const from = world.pods[0];
  const to = world.pods[world.pods.length - 1];
  const fill = (t: string) =>
    t.replace("{file}", file).replace("{from}", from?.name ?? "a")
      .replace("{to}", String((to && podIp(world, to)) ?? "10.244.2.2"));
  return html`
    <details class="pn-linux" data-testid=${`${id}-linux`}>
      <summary>${say(lang, T.summary)} (${text.split("\n").length} ${say(lang, T.lines)})</summary>
      <p>${withCode(fill(say(lang, T.how)))}</p>
      <pre><code data-testid=${`${id}-linux-script`}>${text}</code></pre>
    </details>
  ` as HTMLElement;
}
