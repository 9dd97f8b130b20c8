/**
 * Words for pod lifecycle events (`pods/lifecycle.ts`) in the two languages
 * of the course, so a page can tell what a restart or a lost pause
 * container did to a pod's namespace and address.
 *
 * @module
 */
import { match } from "ts-pattern";
import { ko } from "./josa.js";
import type { PodEvent } from "../pods/lifecycle.js";
import type { Lang } from "./describe.js";

/**
 * Says what one pod event did.
 *
 * @param e The event.
 * @param lang The language.
 * @returns One sentence.
 * @example
 * ```ts
 * import { describePodEvent } from "./events.js";
 * describePodEvent({ kind: "namespace-destroyed", namespace: "pod-a" }, "en");
 * // "Network namespace pod-a destroyed"
 * ```
 */
export function describePodEvent(e: PodEvent, lang: Lang): string {
  const en = lang === "en";
  return match(e)
    .with(
      { kind: "ip-allocated" },
      (x) => en ? `IP ${x.ip} allocated on ${x.node}` : `${x.node}에서 IP ${x.ip} 할당`,
    )
    .with(
      { kind: "ip-freed" },
      (x) => en ? `IP ${x.ip} freed on ${x.node}` : `${x.node}에서 IP ${x.ip} 반납`,
    )
    .with(
      { kind: "namespace-created" },
      (x) =>
        en
          ? `Network namespace ${x.namespace} created`
          : `네트워크 네임스페이스 ${x.namespace} 생성`,
    )
    .with(
      { kind: "namespace-destroyed" },
      (x) =>
        en
          ? `Network namespace ${x.namespace} destroyed`
          : `네트워크 네임스페이스 ${x.namespace} 삭제`,
    )
    .with(
      { kind: "veth-created" },
      (x) =>
        x.bridge === undefined
          ? (en
            ? `veth pair created: eth0 of pod ${x.pod} ↔ ${x.host}, routed (no bridge: a /32 route to it, proxy ARP on it)`
            : `veth 쌍 생성: 파드 ${x.pod}의 eth0 ↔ ${x.host}, 라우팅 방식 (브리지 없음: /32 경로와 프록시 ARP)`)
          : en
          ? `veth pair created: eth0 of pod ${x.pod} ↔ ${x.host} on bridge ${x.bridge}`
          : `veth 쌍 생성: 파드 ${x.pod}의 eth0 ↔ 브리지 ${x.bridge}의 ${x.host}`,
    )
    .with(
      { kind: "veth-deleted" },
      (x) => en ? `veth ${x.host} deleted with its pair` : ko`veth ${x.host}가 짝과 함께 삭제`,
    )
    .with(
      { kind: "container-started" },
      (x) => en ? `Container ${x.container} started` : `컨테이너 ${x.container} 시작`,
    )
    .with(
      { kind: "container-restarted" },
      (x) =>
        en
          ? `Container ${x.container} restarted (restart #${x.restarts})`
          : `컨테이너 ${x.container} 재시작 (${x.restarts}번째)`,
    )
    .with(
      { kind: "container-exited" },
      (x) => en ? `Container ${x.container} exited` : `컨테이너 ${x.container} 종료`,
    )
    .with({ kind: "pod-deleted" }, (x) => en ? `Pod ${x.pod} deleted` : `파드 ${x.pod} 삭제`)
    .exhaustive();
}
