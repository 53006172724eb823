/**
 * Longest-prefix index over digit strings: a digit trie, stored compactly so that a
 * 60,000-prefix table stays small enough for the CPU caches. A lookup reads two
 * integers per dialed digit and allocates nothing.
 *
 * Layout, one Uint32Array, nodes in depth-first (preorder) order: a node at position p is
 * nodes[p] = childMask (bits 0-9, one per digit) | value << 10 (value = 1 + index into
 * values, 0 = none), then one word per child, in digit order, holding the child's
 * position. The child for digit d is in the slot after the mask bits below d. Preorder
 * puts a first child right after its parent, so the long single-child chains of deep
 * prefixes lie in consecutive memory.
 *
 * Dialed numbers: one leading '+' is skipped (so "+38…" matches prefix "38"), then the
 * digits are read from the start; the first character that is not a digit ('*', '#',
 * a space, anything) ends the match, since prefixes are digits only.
 */
export class PrefixIndex<T> {
  private readonly nodes: Uint32Array;
  private readonly values: T[] = [];

  /** entries: [digit prefix, value]; a prefix given twice keeps the later value. */
  constructor(entries: Iterable<readonly [string, T]>) {
    // Pass 1: a plain 10-way trie (children[node*10 + d], 0 = none; the root is never a child).
    let capacity = 1024;
    let children = new Int32Array(capacity * 10);
    let valueAt = new Int32Array(capacity);
    let count = 1;
    for (const [prefix, value] of entries) {
      let node = 0;
      for (let i = 0; i < prefix.length; i++) {
        const d = prefix.charCodeAt(i) - 48;
        if (d < 0 || d > 9) throw new RangeError(`prefix ${JSON.stringify(prefix)} is not all digits`);
        let child = children[node * 10 + d]!;
        if (child === 0) {
          if (count === capacity) {
            capacity *= 2;
            children = grow(children, capacity * 10);
            valueAt = grow(valueAt, capacity);
          }
          child = count++;
          children[node * 10 + d] = child;
        }
        node = child;
      }
      if (node === 0) throw new RangeError('empty prefix');
      const at = valueAt[node]!;
      if (at !== 0) this.values[at - 1] = value;
      else valueAt[node] = this.values.push(value);
    }
    if (this.values.length >= 1 << 22) throw new RangeError('too many prefixes');

    // Pass 2: lay the nodes out in preorder (explicit stack: prefixes may be deep).
    const nodes = new Uint32Array(count * 2); // count nodes + (count - 1) child slots
    const stackNode = new Int32Array(count);
    const stackSlot = new Int32Array(count);
    let top = 0;
    stackSlot[top++] = -1; // the root (old node 0), referenced by no slot
    let next = 0;
    while (top > 0) {
      top--;
      const old = stackNode[top]!;
      const slot = stackSlot[top]!;
      const pos = next;
      if (slot >= 0) nodes[slot] = pos;
      let mask = 0;
      for (let d = 0; d < 10; d++) if (children[old * 10 + d] !== 0) mask |= 1 << d;
      nodes[pos] = (mask | (valueAt[old]! << 10)) >>> 0;
      let rank = BITS_BELOW[mask]!;
      next = pos + 1 + rank;
      // Pushed from digit 9 down so digit 0's subtree is laid out first.
      for (let d = 9; d >= 0; d--) {
        const child = children[old * 10 + d]!;
        if (child === 0) continue;
        rank--;
        stackNode[top] = child;
        stackSlot[top] = pos + 1 + rank;
        top++;
      }
    }
    this.nodes = nodes.slice(0, next);
  }

  /** Number of distinct prefixes. */
  get size(): number {
    return this.values.length;
  }

  /** Bytes held by the trie itself (values excluded). */
  get bytes(): number {
    return this.nodes.byteLength;
  }

  /** The value of the longest prefix of `dialed`, or undefined when none matches. */
  longest(dialed: string): T | undefined {
    const nodes = this.nodes;
    const n = dialed.length;
    let i = n > 0 && dialed.charCodeAt(0) === 43 /* '+' */ ? 1 : 0;
    let pos = 0;
    let word = nodes[0]!;
    let best = 0;
    for (; i < n; i++) {
      const d = dialed.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      const bit = 1 << d;
      if ((word & bit) === 0) break;
      pos = nodes[pos + 1 + BITS_BELOW[word & (bit - 1)]!]!;
      word = nodes[pos]!;
      if (word >= 1024) best = word >>> 10;
    }
    return best === 0 ? undefined : this.values[best - 1];
  }
}

// Population count of a 10-bit child mask.
const BITS_BELOW = new Uint8Array(1024);
for (let m = 1; m < 1024; m++) BITS_BELOW[m] = (m & 1) + BITS_BELOW[m >> 1]!;

function grow(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
