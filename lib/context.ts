import { isIP } from 'node:net';
import { isStage, STAGES, type Stage } from './stage';

/**
 * Reads the `tombstoneTtlDays` context value (cdk.json, or `-c tombstoneTtlDays=N`): a whole
 * number of days, at least 1. cdk.json gives a number and the command line a string; both are
 * accepted. Not set at all gives `undefined`, so that the stack's default applies.
 */
export function tombstoneTtlDaysFromContext(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return wholeDays('tombstoneTtlDays', value, 'Set it in cdk.json or pass -c tombstoneTtlDays=30.');
}

/** The error for a context value that is not what it must be: one sentence for every value. */
function invalid(name: string, mustBe: string, value: unknown, hint: string): Error {
  return new Error(`Context value ${name} must be ${mustBe}, but is ${JSON.stringify(value)}. ${hint}`);
}

/** A whole number of days, at least 1, from cdk.json (a number) or the command line (a string). */
function wholeDays(name: string, value: unknown, hint: string): number {
  const days = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof days !== 'number' || !Number.isSafeInteger(days) || days < 1) {
    throw invalid(name, 'a whole number of days, at least 1', value, hint);
  }
  return days;
}

/** One e-mail address, as SNS takes it for a subscription; not set or empty gives `undefined`. */
function optionalEmail(name: string, value: unknown, hint: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !EMAIL.test(value)) {
    throw invalid(name, 'one e-mail address', value, hint);
  }
  return value;
}

/**
 * Reads the `stage` context value (`-c stage=prod`): `dev` when not set. Anything else than a
 * known stage is refused, so that a typo never deploys a third, unintended copy.
 */
export function stageFromContext(value: unknown): Stage {
  if (value === undefined) return 'dev';
  if (!isStage(value)) {
    const hint = 'Pass -c stage=prod to deploy production; leave it out for dev.';
    throw invalid('stage', `one of ${STAGES.join(', ')}`, value, hint);
  }
  return value;
}

/** Reads the optional `alarmEmail` context value: the address the alarms' topic mails. */
export function alarmEmailFromContext(value: unknown): string | undefined {
  const hint = 'Pass -c alarmEmail=oncall@example.com, or leave it out and subscribe to the topic yourself.';
  return optionalEmail('alarmEmail', value, hint);
}

/** Something@host.tld, with no spaces and no second address: what SNS accepts for an e-mail subscription. */
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** Longest quiet period the no-deliveries alarm can watch: CloudWatch evaluates at most one day. */
export const MAX_NO_DELIVERIES_MINUTES = 1440;

/**
 * Reads the optional `noDeliveriesAlarmMinutes` context value: alarm when the endpoint gets no
 * request at all for this many minutes (5 to 1440). Off when not set.
 */
export function noDeliveriesAlarmMinutesFromContext(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const minutes = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (
    typeof minutes !== 'number' ||
    !Number.isSafeInteger(minutes) ||
    minutes < 5 ||
    minutes > MAX_NO_DELIVERIES_MINUTES
  ) {
    throw invalid(
      'noDeliveriesAlarmMinutes',
      `a whole number of minutes from 5 to ${MAX_NO_DELIVERIES_MINUTES}`,
      value,
      'Pass -c noDeliveriesAlarmMinutes=360, or leave it out to turn the alarm off.',
    );
  }
  return minutes;
}

/**
 * Reads the optional `allowedSourceIps` context value (`-c allowedSourceIps=4.159.114.108,20.117.190.191`,
 * the provider's published addresses): only these callers are served. Off when not set.
 */
export function allowedSourceIpsFromContext(value: unknown): string[] | undefined {
  if (value === undefined || value === '') return undefined;
  const addresses = Array.isArray(value)
    ? value
    : typeof value === 'string'
      ? value.split(',').map((address) => address.trim())
      : [value];
  if (
    addresses.length === 0 ||
    !addresses.every((address) => typeof address === 'string' && isIP(address) !== 0)
  ) {
    throw invalid(
      'allowedSourceIps',
      'IP addresses separated by commas',
      value,
      "Pass -c allowedSourceIps=4.159.114.108,20.117.190.191 (Codat's published addresses), or leave it out.",
    );
  }
  return addresses as string[];
}

/** The reconciler's default schedule: once a day. */
export const DEFAULT_RECONCILE_SCHEDULE = 'rate(1 day)';

/**
 * Reads the optional `reconcileSchedule` context value: an EventBridge Scheduler expression,
 * `rate(...)` or `cron(...)`, or `off` for no schedule (the state machine can still be started
 * by hand). Daily when not set.
 */
export function reconcileScheduleFromContext(value: unknown): string | undefined {
  if (value === undefined || value === '') return DEFAULT_RECONCILE_SCHEDULE;
  if (value === 'off') return undefined;
  if (typeof value !== 'string' || !/^(rate|cron)\(.+\)$/.test(value)) {
    throw invalid(
      'reconcileSchedule',
      'rate(...), cron(...) or off',
      value,
      'Pass -c reconcileSchedule="rate(12 hours)", -c reconcileSchedule="cron(0 3 * * ? *)" or -c reconcileSchedule=off.',
    );
  }
  return value;
}

/** Reads the optional `notifyEmail` context value: the example consumer's address. */
export function notifyEmailFromContext(value: unknown): string | undefined {
  const hint =
    'Pass -c notifyEmail=team@example.com to be mailed when a connection becomes Unlinked or Deauthorized, or fails.';
  return optionalEmail('notifyEmail', value, hint);
}

/** Reads the optional `eventArchiveDays` context value: days the bus's archive keeps change events. */
export function eventArchiveDaysFromContext(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  return wholeDays('eventArchiveDays', value, 'Pass -c eventArchiveDays=365.');
}

/** Reads the optional `historyDays` context value: days a connection's history item is kept. */
export function historyDaysFromContext(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  return wholeDays('historyDays', value, 'Pass -c historyDays=400.');
}

/**
 * Reads the optional `healthSurgeThreshold` context value: connections that become
 * `Deauthorized` or `Unlinked` within an hour, past which the surge alarm fires (lib/health.ts).
 */
export function healthSurgeThresholdFromContext(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
    throw invalid(
      'healthSurgeThreshold',
      'a whole number of connections an hour, at least 1',
      value,
      'Pass -c healthSurgeThreshold=50, or leave it out for the default.',
    );
  }
  return count;
}
