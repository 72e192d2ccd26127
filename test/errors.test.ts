import { describe, expect, it } from '@jest/globals';
import * as errors from '../src/errors';

// (Three classes whose constructors take structured details, and that no Retry or Catch names,
// are left out.) The state machine retries and catches errors by the name a thrown instance reports
// (`errorType`), while lib/ names them by the class: the two must be one word.
const classes = (Object.entries(errors) as [string, unknown][]).filter(
  (entry): entry is [string, new (...args: unknown[]) => Error] =>
    typeof entry[1] === 'function' &&
    entry[1].prototype instanceof Error &&
    !['InvalidPayloadError', 'PublishFailedError', 'UnstorableChangeError'].includes(entry[0]),
);

describe('the errors module', () => {
  it('exports the error classes the stack and the functions share', () => {
    expect(classes.map(([exported]) => exported)).toEqual(
      expect.arrayContaining(['StorageUnavailableError', 'WalkIncompleteError', 'ApiKeyRefusedError']),
    );
  });

  it.each(classes)(
    '%s: an instance reports the class name, which is what lib/ names in Retry and Catch',
    (exported, ErrorClass) => {
      const instance = new ErrorClass('a', 'b', 'c', 'd');
      expect(ErrorClass.name).toBe(exported);
      expect(instance.name).toBe(exported);
    },
  );
});
