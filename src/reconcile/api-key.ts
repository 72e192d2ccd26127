import { ApiKeyNotSetError } from '../errors';

/**
 * The API key from its secret's value. The stack creates the secret with a JSON placeholder,
 * which no API key looks like; a run before the key is set fails with this message instead of
 * a 401 from the provider.
 */
export function apiKeyFrom(secretValue: string, secretId: string): string {
  const value = secretValue.trim();
  if (value === '' || value.startsWith('{')) {
    throw new ApiKeyNotSetError(
      `the Codat API key secret ${secretId} still holds its placeholder; set it with: ` +
        `aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string <API key>`,
    );
  }
  return value;
}
