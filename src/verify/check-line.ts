import type { DeployedStack } from './deployed-stack';

/** One line of the report: what was checked, whether it holds, and what to do when it does not. */
export interface CheckLine {
  check: string;
  ok: boolean;
  say: string;
}

/** Hands a line to the report as soon as it is known, and returns it. */
export type Report = (line: CheckLine) => CheckLine;

export interface VerifyInput {
  stack: DeployedStack;
  stackName: string;
  /** The provider's API. @default https://api.codat.io */
  codatApiUrl?: string;
  /** How the test deliveries are posted. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** @default () => new Date() */
  now?: () => Date;
  /** How often, and how long, the alarm's history is read for the notification. @default 2 s, 90 s */
  alarmWait?: { pollMs: number; timeoutMs: number };
  /** @default a real timer */
  sleep?: (ms: number) => Promise<void>;
  /** Told each line as soon as it is known, so that a terminal shows progress during the alarm's wait. */
  onLine?: (line: CheckLine) => void;
}

export const ok = (check: string, say: string): CheckLine => ({ check, ok: true, say });
export const fail = (check: string, say: string): CheckLine => ({ check, ok: false, say });

/** An error in words for a report line: its name (unless plain `Error`), its message and its cause's. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}${cause}`;
}

export function missingOutput(check: string, key: string, stackName: string): CheckLine {
  return fail(
    check,
    `the stack ${stackName} has no output ${key}: deploy this version of the project (npm run deploy), then run this again`,
  );
}
