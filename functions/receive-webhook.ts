import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readLambdaConfig } from '../src/config';
import { createDynamoDbClient, DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { DeliveryMetrics } from '../src/observability/metrics';
import { createLogger } from '../src/observability/powertools';
import { createReceiver } from '../src/webhook/receiver';
import { cachedSecret, secretsManagerValue } from '../src/webhook/secret-source';

// Built once per cold start and shared by every invocation of this container.
const config = readLambdaConfig(process.env);

const dynamoDb = createDynamoDbClient();
const secretsManager = new SecretsManagerClient({
  maxAttempts: 2,
  // Resolved once for both clients: the second client's first call otherwise pays for a
  // credential chain, a region chain and an HTTP handler of its own.
  credentials: dynamoDb.config.credentials,
  region: dynamoDb.config.region,
  requestHandler: dynamoDb.config.requestHandler,
});
const signingSecrets = cachedSecret(secretsManagerValue(secretsManager, config.signingSecretArn), {
  maxAgeMs: config.secretCacheSeconds * 1000,
});
// Read while the container starts rather than on its first delivery: the request is in flight
// while Lambda hands over the first event. A failed read is only dropped: the first delivery
// reads again, and answers 503 if that fails too.
signingSecrets().catch(() => undefined);

/** `POST /webhooks/codat`: verify, validate and store one Codat connection event. */
export const handler = createReceiver({
  writer: new DynamoDbConnectionStore(dynamoDb, config.tableName),
  signingSecrets,
  tombstoneTtlDays: config.tombstoneTtlDays,
  logger: createLogger({ stage: config.stage, logLevel: config.logLevel }),
  metrics: new DeliveryMetrics({ stage: config.stage }),
  allowedSourceIps: config.allowedSourceIps,
});
