/**
 * The heatmap's keyboard (lessons/components/heatmap-grid.ts): whatever
 * keys a reader presses, the cursor stays on the grid, each arrow moves one
 * cell (ten with Shift) unless the edge stops it, and Enter or Space
 * selects without moving.
 *
 * @module
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { type HeatCell, moveCursor } from "../lessons/components/heatmap-grid.ts";
import { holds } from "./support/property.ts";

const KEYS = [
  "ArrowUp",
  "ArrowDown",
  "ArrowLeft",
  "ArrowRight",
  "PageUp",
  "PageDown",
  "Home",
  "End",
];

test("heatmap keys: any key sequence keeps the cursor on the grid, and arrows move by 1 or 10 up to the edge", () => {
  holds(
    fc.property(
      fc.integer({ min: 1, max: 120 }),
      fc.array(fc.tuple(fc.constantFrom(...KEYS), fc.boolean()), { maxLength: 40 }),
      (n, keys) => {
        let cursor: HeatCell = { from: 0, to: 0 };
        for (const [key, shift] of keys) {
          const next = moveCursor(key, shift, cursor, n);
          if (next === undefined || next === "select") throw new Error(`${key} did not move`);
          for (const v of [next.from, next.to]) assert.ok(v >= 0 && v < n, `${key} left the grid`);
          const step = key.startsWith("Page") ? 10 : shift ? 10 : 1;
          const want = (v: number, d: number) => Math.max(0, Math.min(n - 1, v + d));
          if (key === "ArrowDown" || key === "PageDown") {
            assert.equal(next, { from: want(cursor.from, step), to: cursor.to });
          }
          if (key === "ArrowLeft") {
            assert.equal(next, { from: cursor.from, to: want(cursor.to, -step) });
          }
          if (key === "End") assert.equal(next, { from: cursor.from, to: n - 1 });
          cursor = next;
        }
        return true;
      },
    ),
  );
});

test("heatmap keys: Enter and Space select, other keys are left to the page", () => {
  const here = { from: 3, to: 4 };
  assert.is(moveCursor("Enter", false, here, 10), "select");
  assert.is(moveCursor(" ", true, here, 10), "select");
  assert.is(moveCursor("Tab", false, here, 10), undefined);
  assert.is(moveCursor("a", false, here, 10), undefined);
});

test.run();
