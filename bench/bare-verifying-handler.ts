import { createSecretKey } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bareVerifyingReceiver } from './bare-verifying';

/**
 * The cold-start floor of a receiver that verifies: the bare function that reads the secret
 * (bench/bare-secret-handler.ts, the same clients and the read started during init), serving the
 * bare verifying receiver (bench/bare-verifying.ts: the Standard Webhooks signature, JSON, the
 * contract's schema and the same conditional UpdateItem, with no middleware, log, metrics, size or
 * safety checks). The receiver's cold-start ratio to this one is what its own design costs at
 * start, as its per-delivery ratio to the same receiver is what it costs per delivery.
 */
const client = new DynamoDBClient({});
const secrets = new SecretsManagerClient({
  credentials: client.config.credentials,
  region: client.config.region,
  requestHandler: client.config.requestHandler,
});
const tableName = process.env.TABLE_NAME ?? 'codat-connections';
const receiver = secrets
  .send(new GetSecretValueCommand({ SecretId: process.env.SIGNING_SECRET_ARN }))
  .then(({ SecretString = '' }) =>
    bareVerifyingReceiver(client, tableName, createSecretKey(Buffer.from(SecretString.slice(6), 'base64'))),
  );
receiver.catch(() => undefined);

export const handler = async (event: APIGatewayProxyEventV2) => (await receiver)(event);
