import * as v from 'valibot';
import { type SampleEventOptions, sampleEvent } from '../../local/sample-events';
import { toConnectionChange } from '../../src/connection/connection-change';
import { ConnectionEvent } from '../../src/connection/schema';
import type { ConnectionChange } from '../../src/connection/store';

/** A change as the receiver would make it of a sample delivery. */
export function changeOf(
  options: SampleEventOptions,
  at: { receivedAt?: Date; tombstoneTtlDays?: number } = {},
): ConnectionChange {
  const event = v.parse(ConnectionEvent, sampleEvent(options));
  return toConnectionChange(event, {
    receivedAt: at.receivedAt ?? new Date('2026-11-28T12:00:00Z'),
    tombstoneTtlDays: at.tombstoneTtlDays ?? 30,
  });
}
