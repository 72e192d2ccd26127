import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local run's signing secret: `CODAT_WEBHOOK_SECRET` when set; otherwise the one kept in
 * the data folder; otherwise a new one, kept there so that `npm run send` and later runs agree.
 */
export function localSigningSecret(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): {
  secret: string;
  source: 'environment' | 'file' | 'generated';
} {
  if (env.CODAT_WEBHOOK_SECRET) return { secret: env.CODAT_WEBHOOK_SECRET, source: 'environment' };
  const file = join(dataDir, 'webhook-secret');
  try {
    return { secret: readFileSync(file, 'utf8').trim(), source: 'file' };
  } catch {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return { secret, source: 'generated' };
  }
}
