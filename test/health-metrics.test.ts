import { randomUUID } from 'node:crypto';
import type { ConnectionChange } from '../src/connection/store';
import type { ConnectionChangeDetail } from '../src/events/change-event';
import { changeOfRecord } from '../src/events/stream-record';
import { type CensusItem, ConnectionCensus } from '../src/health/connection-census';
import { dimensionValue, UNNAMED } from '../src/health/dimension-value';
import {
  publishConnectionCounts,
  publishTransitions,
  TransitionTally,
  transitionOf,
} from '../src/health/health-metrics';
import { MAX_COUNTED_PLATFORMS, OTHER_PLATFORMS } from '../src/health/names';
import { createMetrics } from '../src/observability/powertools';
import { changeOf } from './support/changes';
import { dataPoints, directivesOf, emfLines } from './support/emf';
import { captureOutput } from './support/logs';
import { changeRecord, imageOf, streamRecord } from './support/stream-records';

const item = (status: string, platformName: string, sourceType = 'Accounting'): CensusItem => ({
  status,
  platformName,
  sourceType,
});

/** `count` connections of one status and platform. */
const many = (count: number, status: string, platformName: string, sourceType?: string) =>
  Array.from({ length: count }, () => item(status, platformName, sourceType));

function census(items: readonly CensusItem[]): ConnectionCensus {
  const counted = new ConnectionCensus();
  for (const one of items) counted.count(one);
  return counted;
}

/** What `publish` writes to stdout, and to stderr (where Powertools warns), as EMF lines and text. */
function published(publish: () => void) {
  const output = captureOutput();
  try {
    publish();
  } finally {
    output.restore();
  }
  return { lines: emfLines(output.text()), text: output.text() };
}

describe('the connection census', () => {
  it('counts live connections by status, by status and platform, and by status and source type', () => {
    const counted = census([
      ...many(3, 'Linked', 'Xero'),
      ...many(2, 'Deauthorized', 'Xero'),
      ...many(1, 'Linked', 'Plaid', 'Banking'),
      ...many(4, 'Unlinked', 'Plaid', 'Banking'),
    ]);

    const counts = counted.counts();

    expect(counts.total).toBe(10);
    expect(counts.byStatus).toEqual([
      { status: 'Deauthorized', count: 2 },
      { status: 'Linked', count: 4 },
      { status: 'PendingAuth', count: 0 },
      { status: 'Unlinked', count: 4 },
    ]);
    expect(counts.byPlatform.filter((row) => row.platform === 'Xero')).toEqual([
      { status: 'Deauthorized', platform: 'Xero', count: 2 },
      { status: 'Linked', platform: 'Xero', count: 3 },
      { status: 'PendingAuth', platform: 'Xero', count: 0 },
      { status: 'Unlinked', platform: 'Xero', count: 0 },
    ]);
    expect(counts.bySourceType.filter((row) => row.count > 0)).toEqual([
      { status: 'Deauthorized', sourceType: 'Accounting', count: 2 },
      { status: 'Linked', sourceType: 'Accounting', count: 3 },
      { status: 'Linked', sourceType: 'Banking', count: 1 },
      { status: 'Unlinked', sourceType: 'Banking', count: 4 },
    ]);
    expect(counts.otherPlatforms).toBe(0);
  });

  it('takes back a connection the sweep made a tombstone, down to a zero for its status', () => {
    const counted = census([...many(2, 'Deauthorized', 'Xero'), ...many(1, 'Linked', 'Xero')]);

    counted.forget(item('Deauthorized', 'Xero'));
    counted.forget(item('Deauthorized', 'Xero'));

    const counts = counted.counts();
    expect(counts.total).toBe(1);
    expect(counts.byStatus.find((row) => row.status === 'Deauthorized')).toEqual({
      status: 'Deauthorized',
      count: 0,
    });
    expect(counts.byPlatform.filter((row) => row.count > 0)).toEqual([
      { status: 'Linked', platform: 'Xero', count: 1 },
    ]);
  });

  it(`names the ${MAX_COUNTED_PLATFORMS} platforms with the most connections and sums the rest as one`, () => {
    // Platform i has i + 1 connections: the largest 30 are named, the 20 smallest summed.
    const platforms = Array.from({ length: 50 }, (_, index) => `Platform ${String(index).padStart(2, '0')}`);
    const counted = census(platforms.flatMap((name, index) => many(index + 1, 'Linked', name)));

    const counts = counted.counts();

    const named = new Set(counts.byPlatform.map((row) => row.platform));
    expect(named.size).toBe(MAX_COUNTED_PLATFORMS + 1);
    expect(named.has('Platform 49')).toBe(true);
    expect(named.has('Platform 20')).toBe(true);
    expect(named.has('Platform 19')).toBe(false);
    expect(
      counts.byPlatform.find((row) => row.platform === OTHER_PLATFORMS && row.status === 'Linked'),
    ).toEqual({ status: 'Linked', platform: OTHER_PLATFORMS, count: (20 * 21) / 2 });
    expect(counts.otherPlatforms).toBe(20);
    expect(counts.total).toBe((50 * 51) / 2);
  });

  it('counts two spellings that make the same dimension value as one platform', () => {
    const counted = census([item('Linked', 'Sága'), item('Linked', 'Saga'), item('Linked', '  ')]);

    const rows = counted.counts().byPlatform.filter((row) => row.count > 0);

    expect(rows).toEqual([
      { status: 'Linked', platform: UNNAMED, count: 1 },
      { status: 'Linked', platform: 'Saga', count: 2 },
    ]);
  });
});

describe('a dimension value made of a platform name', () => {
  it('keeps a printable ASCII name as it is', () => {
    expect(dimensionValue('Sage 50 (UK)')).toBe('Sage 50 (UK)');
  });

  it('takes accents off, marks other characters, and never leaves it empty or too long', () => {
    expect(dimensionValue('Visma eAccounting – Sverige')).toBe('Visma eAccounting ? Sverige');
    expect(dimensionValue('Fréttir\u0000\n🏦')).toBe('Frettir???');
    expect(dimensionValue(' \t ')).toBe('?');
    expect(dimensionValue('')).toBe(UNNAMED);
    expect(dimensionValue('x'.repeat(2000))).toHaveLength(128);
  });
});

describe('the Connections metric', () => {
  it('publishes every count once, with its own dimensions, as a single metric on a line of its own', () => {
    const counts = census([
      ...many(3, 'Linked', 'Xero'),
      ...many(2, 'Deauthorized', 'Plaid', 'Banking'),
    ]).counts();

    const { lines, text } = published(() =>
      publishConnectionCounts(createMetrics({ stage: 'test' }), counts),
    );

    const points = dataPoints(lines, 'Connections');
    expect(points).toHaveLength(4 + 4 * 2 + 4 * 2);
    expect(points).toContainEqual({
      namespace: 'CodatConnections',
      dimensions: { service: 'codat-connections', stage: 'test', Status: 'Linked', Platform: 'Xero' },
      value: 3,
    });
    expect(points).toContainEqual({
      namespace: 'CodatConnections',
      dimensions: {
        service: 'codat-connections',
        stage: 'test',
        Status: 'Deauthorized',
        SourceType: 'Banking',
      },
      value: 2,
    });
    expect(points).toContainEqual({
      namespace: 'CodatConnections',
      dimensions: { service: 'codat-connections', stage: 'test', Status: 'Unlinked' },
      value: 0,
    });
    // Powertools warns on stderr of a dimension it refuses or a key it overwrites: none here.
    expect(text).not.toMatch(/warn|won't be added|overwritten/i);
  });

  it('keeps every line of an account of 150 platforms inside EMF limits, and every count exact', () => {
    const platforms = Array.from({ length: 150 }, (_, index) => `Platform ${index}`);
    const items = platforms.flatMap((name, index) => [
      ...many(index + 1, 'Linked', name, index % 2 ? 'Banking' : 'Accounting'),
      ...many(index % 3, 'Deauthorized', name, index % 2 ? 'Banking' : 'Accounting'),
    ]);
    const counts = census(items).counts();

    const { lines } = published(() => publishConnectionCounts(createMetrics({ stage: 'test' }), counts));

    for (const line of lines) {
      for (const directive of directivesOf(line)) {
        expect(directive.Metrics.length).toBeLessThanOrEqual(100);
        for (const set of directive.Dimensions) expect(set.length).toBeLessThanOrEqual(30);
      }
    }
    const points = dataPoints(lines, 'Connections');
    // 4 statuses by themselves, for 30 named platforms and the rest, and for 2 source types.
    expect(points).toHaveLength(4 + 4 * (MAX_COUNTED_PLATFORMS + 1) + 4 * 2);
    // Each metric (its dimension values) gets one data point: the walk's count, never a part of it.
    const identities = points.map((point) => JSON.stringify(point.dimensions));
    expect(new Set(identities).size).toBe(points.length);
    const sum = (filter: (point: (typeof points)[number]) => boolean) =>
      points.filter(filter).reduce((total, point) => total + Number(point.value), 0);
    const byStatus = (point: (typeof points)[number], dimension: string) =>
      point.dimensions.Status === 'Linked' && dimension in point.dimensions;
    const linked = items.filter((one) => one.status === 'Linked').length;
    expect(sum((point) => byStatus(point, 'Platform'))).toBe(linked);
    expect(sum((point) => byStatus(point, 'SourceType'))).toBe(linked);
    expect(
      sum((point) => point.dimensions.Status === 'Linked' && Object.keys(point.dimensions).length === 3),
    ).toBe(linked);
  });
});

const key = () => ({ companyId: randomUUID(), connectionId: randomUUID() });
const at = (minute: number) => `2026-11-28T10:${String(minute).padStart(2, '0')}:00Z`;
const onPlatform = (change: ConnectionChange, platformName: string): ConnectionChange => ({
  ...change,
  connection: { ...change.connection, platformName },
});

/** The change event a stream record makes; throws for one that publishes none. */
function detailOf(record: Parameters<typeof changeOfRecord>[0]): ConnectionChangeDetail {
  const decision = changeOfRecord(record);
  if (!decision.publish) throw new Error(`no change event: ${decision.reason}`);
  return decision.detail;
}

describe('a transition', () => {
  const ids = key();
  const linked = changeOf({ eventType: 'connection.connected', ...ids, generatedDate: at(1) });
  const deauthorized = changeOf({
    eventType: 'connection.disconnected',
    ...ids,
    status: 'Deauthorized',
    generatedDate: at(2),
  });

  it('is the new status of a change event that moved its connection to another status', () => {
    expect(transitionOf(detailOf(changeRecord(linked, deauthorized)))).toBe('Deauthorized');
  });

  it('is Created for a new connection, whatever status it starts with', () => {
    expect(transitionOf(detailOf(streamRecord('INSERT', { new: imageOf(deauthorized) })))).toBe('Created');
  });

  it('is Deleted for a connection made a tombstone, whatever its last status', () => {
    const tombstone: ConnectionChange = { ...deauthorized, deleted: true, event: { ...deauthorized.event } };

    expect(transitionOf(detailOf(changeRecord(linked, tombstone)))).toBe('Deleted');
  });

  it('is none for a change of other fields, or a failed attempt that left the status as it was', () => {
    const renamed = { ...linked, company: { ...linked.company, name: 'Toft & Sons' } };
    const pending = changeOf({ eventType: 'connection.created', ...ids, generatedDate: at(1) });
    const failed = changeOf({ eventType: 'connection.failed', ...ids, generatedDate: at(3) });

    expect(transitionOf(detailOf(changeRecord(linked, renamed)))).toBeUndefined();
    expect(transitionOf(detailOf(changeRecord(pending, failed)))).toBeUndefined();
  });
});

describe('the ConnectionTransitions metric', () => {
  it('counts a batch by new status and platform, and by new status alone, on lines of their own', () => {
    const tally = new TransitionTally();
    for (const platform of ['Xero', 'Xero', 'QuickBooks Online']) {
      const ids = key();
      const before = onPlatform(
        changeOf({ eventType: 'connection.connected', ...ids, generatedDate: at(1) }),
        platform,
      );
      const after = onPlatform(
        changeOf({
          eventType: 'connection.disconnected',
          ...ids,
          status: 'Deauthorized',
          generatedDate: at(2),
        }),
        platform,
      );
      tally.add(detailOf(changeRecord(before, after)));
    }
    tally.add(
      detailOf(
        streamRecord('INSERT', { new: imageOf(changeOf({ eventType: 'connection.created', ...key() })) }),
      ),
    );

    const { lines, text } = published(() => publishTransitions(createMetrics({ stage: 'test' }), tally));

    const base = { service: 'codat-connections', stage: 'test' };
    expect(
      dataPoints(lines, 'ConnectionTransitions').map(({ dimensions, value }) => ({ dimensions, value })),
    ).toEqual([
      { dimensions: { ...base, Status: 'Deauthorized', Platform: 'Xero' }, value: 2 },
      { dimensions: { ...base, Status: 'Deauthorized', Platform: 'QuickBooks Online' }, value: 1 },
      { dimensions: { ...base, Status: 'Created', Platform: 'Basiq' }, value: 1 },
      { dimensions: { ...base, Status: 'Deauthorized' }, value: 3 },
      { dimensions: { ...base, Status: 'Created' }, value: 1 },
    ]);
    expect(
      lines.every((line) => directivesOf(line).every((directive) => directive.Metrics.length === 1)),
    ).toBe(true);
    expect(text).not.toMatch(/warn/i);
  });

  it('publishes nothing for a batch that moved no status', () => {
    const { lines } = published(() =>
      publishTransitions(createMetrics({ stage: 'test' }), new TransitionTally()),
    );

    expect(lines).toEqual([]);
  });
});
