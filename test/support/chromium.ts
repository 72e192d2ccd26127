import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, as .ci/run does); never a downloaded browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the browser tests can run here; without Chromium they are skipped (and in CI, refused). */
export const CHROMIUM_AVAILABLE = executable(CHROMIUM_PATH);

/** CI sets `CI` (to `true`, mostly); there a test that needs Chromium fails rather than skips. */
const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false';

/**
 * `describe` when Chromium is here; otherwise says once why the suite is skipped, or, in CI,
 * throws, so that the file fails with the reason.
 */
export function describeInChromium(): typeof describe | typeof describe.skip {
  if (CHROMIUM_AVAILABLE) return describe;
  const reason = `${CHROMIUM_PATH} is missing (apt-get install chromium)`;
  if (IN_CI) throw new Error(`The browser tests cannot run in CI: ${reason}`);
  process.stderr.write(`Browser tests skipped: ${reason}.\n`);
  return describe.skip;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a user-data-dir of its own, removed on close. */
export async function launchChromium(): Promise<Browser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
