/**
 * Reads the `tombstoneTtlDays` context value (cdk.json, or `-c tombstoneTtlDays=N`): a whole
 * number of days, at least 1. cdk.json gives a number and the command line a string; both are
 * accepted. Not set at all gives `undefined`, so that the stack's default applies.
 */
export function tombstoneTtlDaysFromContext(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const days = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1) {
    throw new Error(
      `Context value tombstoneTtlDays must be a whole number of days, at least 1, but is ${JSON.stringify(value)}. ` +
        'Set it in cdk.json or pass -c tombstoneTtlDays=30.',
    );
  }
  return days;
}
