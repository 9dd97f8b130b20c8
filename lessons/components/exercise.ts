/**
 * The "fix it" exercise box: the task, the kernel's verdict on the reader's
 * current world (see checks.ts), and the page's confirmation.
 *
 * @module
 */
import { html } from "./dom.js";
import type { World } from "../kernel/mod.js";
import type { CheckResult, Exercise } from "./checks.js";
import { type Lang, say, UI } from "./i18n.js";
import type { HeldWorld } from "./cell.js";

/**
 * The exercise box: the task, the kernel's verdict on `world`, and a hint.
 * Test id `ID-exercise`, with `data-status` `solved` or `open`.
 *
 * When the world comes from a cell, pass its {@linkcode HeldWorld} as
 * `cell`: a cell that has not produced a world yet leaves the exercise open
 * and says why; a failed run is named while the world of the last good run
 * is judged.
 *
 * @param world The reader's current world.
 * @param exercise Task, hint and check.
 * @param options Language, test id prefix, and the cell the world came from.
 * @returns The box.
 */
export function exerciseBox(
  world: World,
  exercise: Exercise,
  options: { lang: Lang; id: string; cell?: HeldWorld },
): HTMLElement {
  const { lang, id, cell } = options;
  let result: CheckResult;
  if (cell && !cell.judged) {
    result = { ok: false, details: [`${say(lang, UI.cellNotReady)}: ${cell.error ?? ""}`] };
  } else {
    try {
      result = exercise.check(world, lang);
    } catch (e) {
      result = { ok: false, details: [`${(e as Error).name}: ${(e as Error).message}`] };
    }
    if (cell?.error) {
      result = {
        ...result,
        details: [`${say(lang, UI.cellLastGood)}: ${cell.error}`, ...result.details],
      };
    }
  }
  return html`
    <div class=${`pn-exercise ${result.ok ? "pn-ok" : "pn-open"}`}
      data-testid=${`${id}-exercise`} data-status=${result.ok
        ? "solved"
        : "open"} aria-live="polite">
        <div class="pn-exercise-head">${say(lang, UI.exercise)}</div>
        <p>${say(lang, exercise.task)}</p>
        <p class="pn-exercise-status"><strong>${result.ok ? "✓ " : "✗ "}${say(
          lang,
          result.ok ? UI.solved : UI.notYet,
        )}</strong></p>
        <ul class="pn-exercise-details">${result.details.map((d) => html`<li>${d}</li>`)}</ul>
        ${exercise.hint
          ? html`
            <details>
              <summary>${say(lang, UI.hint)}</summary>
              <p>${say(lang, exercise.hint)}</p>
            </details>
          `
          : ""}
      </div>
  ` as HTMLElement;
}
