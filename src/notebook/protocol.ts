/**
 * The messages between a lesson page and the notebook worker that runs a
 * reader's cell. Everything that crosses is plain data: the base world goes
 * in as a scenario document, the cell's world comes back as one.
 *
 * @module
 */
import type { Probe } from "../trace/probe.js";
import type { ScenarioDoc } from "../scenario/schema.js";

/** Run one cell: its code (a function body), on a base world. */
export interface RunRequest {
  readonly type: "run";
  /** Matches the answer to the request. */
  readonly id: number;
  readonly code: string;
  readonly base: ScenarioDoc;
}

/** What can go wrong with a cell, and where in its code. */
export interface CellError {
  readonly kind: "syntax" | "runtime" | "result" | "base" | "timeout";
  readonly message: string;
  /** 1-based line in the cell's code. */
  readonly line?: number;
  /** 1-based column in the cell's code. */
  readonly column?: number;
}

/** A cell that ran: its world as a document, its probe, anything else it returned. */
export interface CellValue {
  readonly scenario: ScenarioDoc;
  readonly probe?: Probe;
  /** Other fields of the cell's result, as JSON. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** The worker's answer. */
export type RunResponse =
  | {
    readonly type: "result";
    readonly id: number;
    readonly ok: true;
    readonly value: CellValue;
    readonly ms: number;
  }
  | {
    readonly type: "result";
    readonly id: number;
    readonly ok: false;
    readonly error: CellError;
    readonly ms: number;
  };
