import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as v from 'valibot';
import { toConnectionChange } from '../src/connection/connection-change';
import { ConnectionEvent } from '../src/connection/schema';
import { plainUpdate } from './plain-update';

/**
 * The per-delivery floor of a receiver that verifies: what any receiver of signed Codat
 * webhooks must do before its write, written plainly, with nothing of this project's own
 * around it. It checks the Standard Webhooks signature (the timestamp within 5 minutes, an
 * HMAC-SHA256 of `id.timestamp.body` equal to one `v1` entry), parses the body and validates
 * it against the contract's schema, then sends the same conditional UpdateItem the store sends,
 * built plainly (bench/plain-update.ts: util-dynamodb's `marshall`). No middleware, no log line,
 * no metrics, no size or safety checks, no early timeout. The
 * receiver's ratio to this is what its own design costs per delivery, as the cold start's
 * ratio to the bare function that reads the secret is what its own code costs at start.
 */
export function bareVerifyingReceiver(client: DynamoDBClient, tableName: string, secret: KeyObject) {
  const answer = (statusCode: number, body: string): APIGatewayProxyStructuredResultV2 => ({
    statusCode,
    headers: { 'content-type': 'application/json' },
    body,
  });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const headers = event.headers ?? {};
    const id = headers['webhook-id'] ?? '';
    const timestamp = headers['webhook-timestamp'] ?? '';
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return answer(401, '{"error":"timestamp"}');
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(body).digest();
    const verified = (headers['webhook-signature'] ?? '').split(' ').some((entry) => {
      const given = Buffer.from(entry.slice(3), 'base64');
      return entry.startsWith('v1,') && given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!verified) return answer(401, '{"error":"signature"}');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return answer(400, '{"error":"json"}');
    }
    const validated = v.safeParse(ConnectionEvent, parsed);
    if (!validated.success) return answer(400, '{"error":"payload"}');
    const change = toConnectionChange(validated.output, { receivedAt: new Date(), tombstoneTtlDays: 30 });
    try {
      await client.send(plainUpdate(tableName, change));
      return answer(200, '{"result":"applied"}');
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return answer(200, '{"result":"stale"}');
      throw error;
    }
  };
}
