/**
 * Company ids held by the hundred thousand, compactly. A walk remembers every company it listed
 * until its sweep (the CLI's journal), and the sweep counts them to find the stored companies
 * the listing skipped: the one part of the walk's memory that grows with the account. As
 * strings, 100,000 ids were 6.2 MiB in the journal's arrays and 3.5 MiB more in the sweep's Map
 * (a one-off script, the heap after a full collection); kept here, 1.7 and 2.0 MiB. Codat's ids
 * are UUIDs, and a UUID in lower case, as Codat writes them, is kept as its 16 bytes; any other
 * id is kept as it is, so that an id always comes back exactly as it was given.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** 32-bit words a UUID is kept in. */
const WORDS = 4;

/** Writes the 128 bits of `id` into `words` at `at` when it is a lower-case UUID; false otherwise. */
function packUuid(id: string, words: Uint32Array, at: number): boolean {
  if (id.length !== 36 || !UUID.test(id)) return false;
  words[at] = Number.parseInt(id.slice(0, 8), 16);
  words[at + 1] = Number.parseInt(id.slice(9, 13) + id.slice(14, 18), 16);
  words[at + 2] = Number.parseInt(id.slice(19, 23) + id.slice(24, 28), 16);
  words[at + 3] = Number.parseInt(id.slice(28, 36), 16);
  return true;
}

const hex = (word: number) => word.toString(16).padStart(8, '0');

function unpackUuid(words: Uint32Array, at: number): string {
  const a = hex(words[at] ?? 0);
  const b = hex(words[at + 1] ?? 0);
  const c = hex(words[at + 2] ?? 0);
  const d = hex(words[at + 3] ?? 0);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** One page's company ids, in their order: 16 bytes each for a UUID. */
export interface PackedCompanyIds {
  readonly count: number;
  readonly uuids: Uint32Array;
  /** The ids that are not lower-case UUIDs, by their position in the list. */
  readonly others: ReadonlyMap<number, string>;
}

export function packCompanyIds(ids: readonly string[]): PackedCompanyIds {
  const uuids = new Uint32Array(ids.length * WORDS);
  const others = new Map<number, string>();
  ids.forEach((id, index) => {
    if (!packUuid(id, uuids, index * WORDS)) others.set(index, id);
  });
  return { count: ids.length, uuids, others };
}

export function unpackCompanyIds(packed: PackedCompanyIds): string[] {
  const ids: string[] = [];
  for (let index = 0; index < packed.count; index++) {
    ids.push(packed.others.get(index) ?? unpackUuid(packed.uuids, index * WORDS));
  }
  return ids;
}

/** Orders UUID `left` of `a` and UUID `right` of `b` by their words: negative, zero or positive. */
function compareUuids(a: Uint32Array, left: number, b: Uint32Array, right: number): number {
  for (let word = 0; word < WORDS; word++) {
    const difference = (a[left * WORDS + word] ?? 0) - (b[right * WORDS + word] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * How many times each company id was added: added while the journal is read, then asked, in
 * any order. The UUIDs go into a growing array of 16 bytes each, sorted once on the first
 * question, and each question is a binary search.
 */
export class CompanyIdCounts {
  #words = new Uint32Array(1024 * WORDS);
  #length = 0;
  readonly #others = new Map<string, number>();
  /** The UUID asked about, packed. */
  readonly #key = new Uint32Array(WORDS);
  /** Distinct UUIDs in order, with their counts; made on the first question. */
  #sorted: { words: Uint32Array; counts: Uint32Array; length: number } | undefined;

  add(id: string): void {
    if (this.#sorted) throw new Error('CompanyIdCounts: add() after count()');
    if (this.#length * WORDS === this.#words.length) {
      const grown = new Uint32Array(this.#words.length * 2);
      grown.set(this.#words);
      this.#words = grown;
    }
    if (packUuid(id, this.#words, this.#length * WORDS)) this.#length += 1;
    else this.#others.set(id, (this.#others.get(id) ?? 0) + 1);
  }

  /** How many times `id` was added; 0 for one never added. */
  count(id: string): number {
    const other = this.#others.get(id);
    if (other !== undefined) return other;
    const sorted = this.#sort();
    if (!packUuid(id, this.#key, 0)) return 0;
    let low = 0;
    let high = sorted.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const difference = compareUuids(sorted.words, middle, this.#key, 0);
      if (difference === 0) return sorted.counts[middle] ?? 0;
      if (difference < 0) low = middle + 1;
      else high = middle - 1;
    }
    return 0;
  }

  #sort() {
    if (this.#sorted) return this.#sorted;
    const words = this.#words;
    const order = new Uint32Array(this.#length);
    for (let index = 0; index < order.length; index++) order[index] = index;
    order.sort((left, right) => compareUuids(words, left, words, right));
    const distinct = new Uint32Array(this.#length * WORDS);
    const counts = new Uint32Array(this.#length);
    let length = 0;
    for (const index of order) {
      if (length > 0 && compareUuids(distinct, length - 1, words, index) === 0) {
        counts[length - 1] = (counts[length - 1] ?? 0) + 1;
        continue;
      }
      distinct.set(words.subarray(index * WORDS, index * WORDS + WORDS), length * WORDS);
      counts[length] = 1;
      length += 1;
    }
    this.#words = new Uint32Array(0);
    this.#sorted = { words: distinct, counts, length };
    return this.#sorted;
  }
}
