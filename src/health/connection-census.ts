import { CONNECTION_STATUSES } from '../connection/schema';
import type { LiveConnection } from '../connection/store';
import { dimensionValue } from './dimension-value';
import { MAX_COUNTED_PLATFORMS, OTHER_PLATFORMS } from './names';

/** What the census reads of one live connection: the attributes the sweep's Scan projects. */
export type CensusItem = LiveConnection;

/** One count of `Connections`: by status alone, or with a platform, or with a source type. */
export interface ConnectionCount {
  status: string;
  platform?: string;
  sourceType?: string;
  count: number;
}

/** The live connections of one walk, at the three grains `Connections` is published at. */
export interface ConnectionCounts {
  total: number;
  byStatus: ConnectionCount[];
  byPlatform: ConnectionCount[];
  bySourceType: ConnectionCount[];
  /** Platforms summed under `OTHER_PLATFORMS`, past the `MAX_COUNTED_PLATFORMS` named ones. */
  otherPlatforms: number;
}

/**
 * Counts live connections by status, platform and source type as the sweep's Scan reads them,
 * less those the sweep then makes tombstones: the table as the complete walk leaves it. Small
 * whatever the table's size: one number per status, platform and source type seen.
 */
export class ConnectionCensus {
  readonly #counts = new Map<string, { item: CensusItem; count: number }>();

  /** Counts one live connection; bound, so that it can be handed on as a callback. */
  readonly count = (item: CensusItem): void => this.#add(item, 1);

  /** Takes back one connection counted before: the sweep has just made it a tombstone. */
  readonly forget = (item: CensusItem): void => this.#add(item, -1);

  #add(raw: CensusItem, delta: number): void {
    const item = {
      status: dimensionValue(raw.status),
      platformName: dimensionValue(raw.platformName),
      sourceType: dimensionValue(raw.sourceType),
    };
    const key = JSON.stringify([item.status, item.platformName, item.sourceType]);
    const known = this.#counts.get(key) ?? { item, count: 0 };
    known.count += delta;
    this.#counts.set(key, known);
  }

  /**
   * The counts, zeros included: every status for each platform and source type seen, so that a
   * status that emptied reads 0 rather than its last value. Platforms past the
   * `MAX_COUNTED_PLATFORMS` with the most connections are summed as `OTHER_PLATFORMS`, so that
   * the number of metrics (and their cost) stays bounded whatever names the provider sends.
   */
  counts(): ConnectionCounts {
    const entries = [...this.#counts.values()].filter(({ count }) => count > 0);
    const statuses = sorted(new Set([...CONNECTION_STATUSES, ...entries.map(({ item }) => item.status)]));
    const sum = (pick: (item: CensusItem) => boolean) =>
      entries.filter(({ item }) => pick(item)).reduce((total, { count }) => total + count, 0);

    const perPlatform = new Map<string, number>();
    for (const { item, count } of entries) {
      perPlatform.set(item.platformName, (perPlatform.get(item.platformName) ?? 0) + count);
    }
    const ranked = [...perPlatform].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
    const named = new Set(ranked.slice(0, MAX_COUNTED_PLATFORMS).map(([platform]) => platform));
    const platformOf = (item: CensusItem) =>
      named.has(item.platformName) ? item.platformName : OTHER_PLATFORMS;
    const platforms = [...sorted(named), ...(ranked.length > named.size ? [OTHER_PLATFORMS] : [])];
    const sourceTypes = sorted(new Set(entries.map(({ item }) => item.sourceType)));

    return {
      total: sum(() => true),
      byStatus: statuses.map((status) => ({ status, count: sum((item) => item.status === status) })),
      byPlatform: platforms.flatMap((platform) =>
        statuses.map((status) => ({
          status,
          platform,
          count: sum((item) => item.status === status && platformOf(item) === platform),
        })),
      ),
      bySourceType: sourceTypes.flatMap((sourceType) =>
        statuses.map((status) => ({
          status,
          sourceType,
          count: sum((item) => item.status === status && item.sourceType === sourceType),
        })),
      ),
      otherPlatforms: ranked.length - named.size,
    };
  }
}

const sorted = (values: Iterable<string>) => [...values].sort();
