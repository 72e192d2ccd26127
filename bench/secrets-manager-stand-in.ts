/**
 * A Secrets Manager on loopback for the functions run as deployed: enough of `GetSecretValue`
 * for the receiver and the bench's bare function that reads a secret.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Secrets Manager stand-in on loopback that answers `GetSecretValue` with `secretString`
 * for any secret id, and counts the reads.
 */
export async function startSecretsManagerStandIn(secretString: string) {
  let reads = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'secretsmanager.GetSecretValue') {
        response
          .writeHead(400)
          .end(JSON.stringify({ __type: 'InvalidRequestException', message: `${target}` }));
        return;
      }
      reads += 1;
      const arn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stand-in';
      response.end(
        JSON.stringify({ ARN: arn, Name: 'stand-in', SecretString: secretString, VersionId: 'v1' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    reads: () => reads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
