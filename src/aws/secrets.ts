import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A secret's current string value in AWS Secrets Manager, read again at each call: the
 * receiver caches its signing secrets on top of this, the reconciler reads its API key once per
 * invocation.
 */
export function secretsManagerValue(client: SecretsManagerClient, secretId: string): () => Promise<string> {
  return async () => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`secret ${secretId} has no string value`);
    return SecretString;
  };
}
