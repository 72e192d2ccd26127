import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readLambdaConfig, snapshotEnvironment } from '../src/config';
import {
  AWS_REQUEST_HANDLER,
  createDynamoDbClient,
  DynamoDbConnectionStore,
} from '../src/connection/dynamodb-store';
import { createLogger, createMetrics } from '../src/observability/powertools';
import { createReceiver } from '../src/webhook/receiver';
import { cachedSecret, secretsManagerValue } from '../src/webhook/secret-source';

// Built once per cold start and shared by every invocation of this container.
snapshotEnvironment();
const config = readLambdaConfig(process.env);

const signingSecrets = cachedSecret(
  secretsManagerValue(
    new SecretsManagerClient({ maxAttempts: 2, requestHandler: AWS_REQUEST_HANDLER }),
    config.signingSecretArn,
  ),
  { maxAgeMs: config.secretCacheSeconds * 1000 },
);
// Read while the container starts rather than on its first delivery: the request is in flight
// while Lambda hands over the first event. A failed read is only dropped: the first delivery
// reads again, and answers 503 if that fails too.
signingSecrets().catch(() => undefined);

/** `POST /webhooks/codat`: verify, validate and store one Codat connection event. */
export const handler = createReceiver({
  writer: new DynamoDbConnectionStore(createDynamoDbClient(), config.tableName),
  signingSecrets,
  tombstoneTtlDays: config.tombstoneTtlDays,
  logger: createLogger({ stage: config.stage, logLevel: config.logLevel }),
  metrics: createMetrics({ stage: config.stage }),
  allowedSourceIps: config.allowedSourceIps,
});
