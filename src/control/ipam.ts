/**
 * Calico's IPAM, modelled: an IP pool is cut into blocks (`/26` by default,
 * 64 addresses); a node claims a block when it needs addresses (the block
 * is then affine to it), claims another when its blocks are full, and when
 * the pool has no free block left it borrows a free address from another
 * node's block. The node a pod runs on announces the blocks it holds; an
 * address it borrowed is announced as a `/32` of its own, which beats the
 * block owner's route (longest prefix) everywhere, the owner's own
 * `blackhole` for the block included.
 *
 * Pure data in, data out: the builders (`scenario/`) turn the result into
 * routes, and the BGP model (`bgp.ts`) into who learns what.
 *
 * @module
 */
import { Addr, Prefix } from "../addr/mod.js";
import { err, ok, type Result } from "../result.js";

/** A Calico IP pool. */
export interface IpPool {
  readonly cidr: Prefix;
  /** Block prefix length (`blockSize`, default 26). */
  readonly blockBits: number;
}

/** One pod's address and where it came from. */
export interface Allocation {
  readonly node: number;
  readonly ip: Addr;
  readonly block: Prefix;
  /** The node whose block it is, when it is not `node` (a borrowed address). */
  readonly borrowedFrom?: number;
}

/** The IPAM state of a cluster: blocks by node, and every allocation. */
export interface IpamState {
  readonly pool: IpPool;
  /** Blocks affine to each node, in the order it claimed them. */
  readonly blocks: readonly (readonly Prefix[])[];
  /** Per node, its pods' allocations in creation order. */
  readonly allocations: readonly (readonly Allocation[])[];
}

/**
 * Allocates addresses as Calico's IPAM does, node by node: each node holds
 * a block from the start (the pool's blocks in node order), takes
 * the first free address of its blocks (the first block address is kept
 * for the node's tunnel device when `tunnelAddress` is set), claims the
 * pool's next free block when they are full, and borrows from another
 * node's block when the pool has none left.
 *
 * @param pool The pool.
 * @param pods Pods per node.
 * @param tunnelAddress Whether each node's first block address is its tunnel's (IP-in-IP, VXLAN).
 * @returns The state, or why the pool is too small.
 * @example
 * ```ts
 * import { Prefix } from "../addr/mod.js";
 * import { allocate } from "./ipam.js";
 * const s = allocate({ cidr: Prefix.mustParse("10.244.0.0/16"), blockBits: 26 }, [2, 70], false);
 * if (s.ok) s.value.blocks[1].map(String); // ["10.244.0.64/26", "10.244.0.128/26"]
 * ```
 */
export function allocate(
  pool: IpPool,
  pods: readonly number[],
  tunnelAddress: boolean,
): Result<IpamState, string> {
  if (pool.blockBits < pool.cidr.bits || pool.blockBits > 32) {
    return err(`Block size /${pool.blockBits} does not fit in the pool ${pool.cidr}`);
  }
  const blockSize = 2 ** (32 - pool.blockBits);
  const blockCount = 2 ** (pool.blockBits - pool.cidr.bits);
  let nextBlock = 0;
  const used = new Set<number>();
  const blocks: Prefix[][] = pods.map(() => []);
  const claim = (node: number): Prefix | undefined => {
    if (nextBlock >= blockCount) return undefined;
    const base = pool.cidr.first.value + nextBlock++ * blockSize;
    const block = Prefix.of(Addr.fromUint32(base >>> 0), pool.blockBits);
    blocks[node].push(block);
    if (tunnelAddress && blocks[node].length === 1) used.add(base >>> 0);
    return block;
  };
  const freeIn = (block: Prefix): Addr | undefined => {
    for (let i = 0; i < blockSize; i++) {
      const v = (block.first.value + i) >>> 0;
      if (!used.has(v)) return Addr.fromUint32(v);
    }
    return undefined;
  };
  // Every node claims its first block up front (calico-node does for its
  // tunnel address; without a tunnel, the first pod would claim it anyway).
  pods.forEach((_, i) => claim(i));
  const allocations: Allocation[][] = pods.map(() => []);
  for (let node = 0; node < pods.length; node++) {
    for (let k = 0; k < pods[node]; k++) {
      let found: Allocation | undefined;
      for (const block of blocks[node]) {
        const ip = freeIn(block);
        if (ip) {
          found = { node, ip, block };
          break;
        }
      }
      if (!found) {
        const block = claim(node);
        const ip = block && freeIn(block);
        if (block && ip) found = { node, ip, block };
      }
      if (!found) found = borrow(node, blocks, freeIn);
      if (!found) {
        return err(`The pool ${pool.cidr} has no free address for a pod on node ${node + 1}`);
      }
      used.add(found.ip.value);
      allocations[node].push(found);
    }
  }
  return ok({ pool, blocks, allocations });
}

function borrow(
  node: number,
  blocks: readonly (readonly Prefix[])[],
  freeIn: (b: Prefix) => Addr | undefined,
): Allocation | undefined {
  for (let owner = 0; owner < blocks.length; owner++) {
    if (owner === node) continue;
    for (const block of blocks[owner]) {
      const ip = freeIn(block);
      if (ip) return { node, ip, block, borrowedFrom: owner };
    }
  }
  return undefined;
}

/**
 * The prefixes a node originates: each block it holds, and a `/32` for
 * every address it borrowed.
 *
 * @param state The IPAM state.
 * @param node The node's index.
 * @returns The prefixes, blocks first.
 * @example
 * ```ts
 * import { Prefix } from "../addr/mod.js";
 * import { allocate, originated } from "./ipam.js";
 * const s = allocate({ cidr: Prefix.mustParse("10.244.0.0/25"), blockBits: 26 }, [70, 1], false);
 * if (s.ok) originated(s.value, 1).map(String); // ["10.244.0.64/26"]
 * ```
 */
export function originated(state: IpamState, node: number): Prefix[] {
  return [
    ...state.blocks[node],
    ...state.allocations[node].filter((a) => a.borrowedFrom !== undefined).map((a) =>
      Prefix.of(a.ip, 32)
    ),
  ];
}
