import { resolve } from 'node:path';
import * as v from 'valibot';
import { localSigningSecret } from './local-secret';
import { startLocalServer } from './server';

/** `npm start`: the receiver on this machine, over an embedded DynamoDB, with no AWS account. */
const LocalEnvironment = v.object({
  PORT: v.optional(
    v.pipe(v.string(), v.regex(/^\d{1,5}$/, 'PORT must be a port number'), v.transform(Number)),
    '3000',
  ),
  HOST: v.optional(v.string(), '127.0.0.1'),
  DATA_DIR: v.optional(v.string(), '.data'),
  DYNAMODB_ENDPOINT: v.optional(v.pipe(v.string(), v.url('DYNAMODB_ENDPOINT must be a URL'))),
  TABLE_NAME: v.optional(v.string(), 'codat-connections'),
  TOMBSTONE_TTL_DAYS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[1-9]\d*$/, 'TOMBSTONE_TTL_DAYS must be a whole number of days'),
      v.transform(Number),
    ),
    '30',
  ),
});

async function main(): Promise<void> {
  const parsed = v.safeParse(LocalEnvironment, process.env);
  if (!parsed.success) throw new Error(parsed.issues.map((issue) => issue.message).join('; '));
  const env = parsed.output;
  const dataDir = resolve(env.DATA_DIR);
  const { secret, source } = localSigningSecret(dataDir);
  const server = await startLocalServer({
    port: env.PORT,
    host: env.HOST,
    dataPath: env.DYNAMODB_ENDPOINT ? undefined : resolve(dataDir, 'dynamodb'),
    dynamoDbEndpoint: env.DYNAMODB_ENDPOINT,
    tableName: env.TABLE_NAME,
    signingSecret: secret,
    tombstoneTtlDays: env.TOMBSTONE_TTL_DAYS,
  });
  const secretFile = resolve(dataDir, 'webhook-secret');
  const secretLine =
    source === 'environment'
      ? 'signing secret: from CODAT_WEBHOOK_SECRET'
      : `signing secret (${source === 'generated' ? 'generated, ' : ''}kept in ${secretFile}): ${secret}`;
  process.stderr.write(
    [
      '',
      `Codat webhook receiver listening on ${server.webhookUrl}`,
      `  ${secretLine}`,
      `  DynamoDB: ${env.DYNAMODB_ENDPOINT ?? `embedded, data in ${resolve(dataDir, 'dynamodb')}`}, table ${env.TABLE_NAME}`,
      `  stored connections: ${server.url}/companies/{companyId}/connections[/{connectionId}]`,
      '  try, in another terminal: npm run send -- connection.connected',
      '',
      '',
    ].join('\n'),
  );
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `npm start could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
