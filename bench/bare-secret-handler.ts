import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bareUpdate } from './bare-update';

/**
 * The bare function plus what any function that verifies with a secret from Secrets Manager
 * pays, done as the receiver does it: a second client sharing the first one's credentials,
 * region and HTTP handler, the read started during init, and the first request waiting for it.
 * The cold-start ratio of the receiver to this one is what its own code costs.
 */
const client = new DynamoDBClient({});
const secrets = new SecretsManagerClient({
  credentials: client.config.credentials,
  region: client.config.region,
  requestHandler: client.config.requestHandler,
});
const secret = secrets.send(new GetSecretValueCommand({ SecretId: process.env.SIGNING_SECRET_ARN }));
secret.catch(() => undefined);

export const handler = async (event: APIGatewayProxyEventV2) => {
  const { SecretString } = await secret;
  if (!SecretString) throw new Error('the secret has no string value');
  return bareUpdate(client, event);
};
