/**
 * What a verification finds, as the verifier keeps it: sets of source
 * pods, the pieces a verdict is made of (a problem for every pair of a set
 * of sources and a set of destinations), and the read-only view of them
 * that the pages' views (`views.ts`) are computed from.
 *
 * @module
 */
import type { Addr } from "../addr/mod.js";
import type { DropReason, Trace } from "../trace/types.js";
import type { Fabric } from "./fabric.js";

/** Why a pair fails: the classification `natFreeReachability` uses. */
export type Problem =
  | { readonly kind: "dropped"; readonly reason: DropReason }
  | { readonly kind: "source-rewritten"; readonly seen: Addr }
  | { readonly kind: "nat-applied" };

/** A set of source pods, as the verifier keeps it. */
export type SourceSet =
  | { readonly kind: "class"; readonly cls: number; readonly minus: ReadonlySet<number> }
  | { readonly kind: "group"; readonly group: number }
  | { readonly kind: "pods"; readonly pods: readonly number[] };

/**
 * A compact counterexample: every pair in `sources × destinations` (but a
 * pod and itself, and pairs of pods sharing one IP, which have sets of
 * their own) fails with `problem`.
 */
export interface FailureSet {
  readonly problem: Problem;
  readonly sources: SourceSet;
  /** Destination pod indexes. */
  readonly destinations: readonly number[];
  /** Pairs excluded from the product (`[source, destination]`), besides p = q. */
  readonly except: readonly (readonly [number, number])[];
  /** How many failing pairs the set stands for. */
  readonly pairs: number;
  /** A trace the set came from, when it was traced. */
  readonly trace?: Trace;
}

/** The result of a verification. */
export interface Verification {
  readonly holds: boolean;
  readonly pods: number;
  /** Ordered pairs checked: n × (n − 1). */
  readonly checked: number;
  readonly failing: number;
  /** Pairs the real tracer decided (non-standard pods, unknown outcomes, irregular worlds). */
  readonly traced: number;
  readonly failures: readonly FailureSet[];
}

/** Part of a verdict: every pair of `sources × destinations` but `except` has `problem` (or none). */
export interface Piece {
  readonly problem: Problem | undefined;
  readonly sources: SourceSet;
  readonly destinations: number[];
  readonly except: [number, number][];
  pairs: number;
  readonly trace?: Trace;
  /** True for a pair the real tracer decided. */
  readonly traced?: boolean;
}

/** A key equal for equal problems. */
export const problemKey = (p: Problem) =>
  p.kind === "dropped" ? `d:${p.reason}` : p.kind === "source-rewritten" ? `s:${p.seen}` : "n";

/**
 * The verdict's pieces with what it takes to read their source sets: the
 * input of the views in `views.ts`, so that those need none of the
 * verifier's working state.
 */
export interface PieceView {
  readonly fabric: Fabric;
  /** Every piece of the current verdict. */
  readonly pieces: () => Iterable<Piece>;
  /** The pods of each source group a set stands for (empty for a set of single pods). */
  readonly sourceGroups: (s: SourceSet) => readonly (readonly number[])[];
  /** Whether pod `p` is in the set. */
  readonly inSources: (s: SourceSet, p: number) => boolean;
  /** Every pod of the set. */
  readonly expandSources: (s: SourceSet) => Iterable<number>;
}
