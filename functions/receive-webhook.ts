import { createDynamoDbClient, createSigningSecretClient } from '../src/aws/clients';
import { secretsManagerValue } from '../src/aws/secrets';
import { readLambdaConfig } from '../src/config';
import { DynamoDbConnectionStore } from '../src/connection/dynamodb-store';
import { DeliveryLog } from '../src/observability/delivery-log';
import { createReceiver } from '../src/webhook/receiver';
import { cachedSecret } from '../src/webhook/secret-source';

// Built once per cold start and shared by every invocation of this container.
const config = readLambdaConfig(process.env);

const dynamoDb = createDynamoDbClient();
const secretsManager = createSigningSecretClient(dynamoDb);
const signingSecrets = cachedSecret(secretsManagerValue(secretsManager, config.signingSecretArn), {
  maxAgeMs: config.secretCacheSeconds * 1000,
});
// Read while the container starts rather than on its first delivery: the request is in flight
// while Lambda hands over the first event. A failed read is only dropped: the first delivery
// reads again, and answers 503 if that fails too.
Promise.resolve(signingSecrets()).catch(() => undefined);

/** `POST /webhooks/codat`: verify, validate and store one Codat connection event. */
export const handler = createReceiver({
  writer: new DynamoDbConnectionStore(dynamoDb, config.tableName),
  signingSecrets,
  tombstoneTtlDays: config.tombstoneTtlDays,
  log: new DeliveryLog({ stage: config.stage, logLevel: config.logLevel }),
  allowedSourceIps: config.allowedSourceIps,
});
