import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for Secrets Manager's `GetSecretValue` (JSON 1.1 protocol, `X-Amz-Target:
 * secretsmanager.GetSecretValue`) on loopback, holding `secrets` by id; an unknown id answers
 * `ResourceNotFoundException` as the service does. Reached with AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export async function startSecretsManager(secrets: Record<string, string>) {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const { SecretId } = JSON.parse(body || '{}') as { SecretId?: string };
      const value = SecretId === undefined ? undefined : secrets[SecretId];
      const answer =
        target !== 'secretsmanager.GetSecretValue'
          ? { status: 400, body: { __type: 'UnknownOperationException' } }
          : value === undefined
            ? {
                status: 400,
                body: {
                  __type: 'ResourceNotFoundException',
                  message: 'Secrets Manager can’t find the specified secret.',
                },
              }
            : {
                status: 200,
                body: {
                  ARN: SecretId,
                  Name: SecretId,
                  SecretString: value,
                  VersionId: 'v1',
                  VersionStages: ['AWSCURRENT'],
                  CreatedDate: 1,
                },
              };
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
