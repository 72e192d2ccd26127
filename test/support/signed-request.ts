import { randomBytes, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Webhook } from 'standardwebhooks';

export const testSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** Posts `body` signed by the reference Standard Webhooks library, as Codat would. */
export async function postSigned(
  url: string,
  secret: string,
  body: string,
  options: { tamper?: (body: string) => string; at?: Date } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, string> }> {
  const id = `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
  return post(url, options.tamper ? options.tamper(body) : body, headers);
}

export async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, headers };
}

/** An API Gateway (payload 2.0) event carrying `body`, signed as Codat would sign it. */
export function signedApiEvent(
  body: string,
  options: { secret: string; id?: string; at?: Date },
): APIGatewayProxyEventV2 {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(options.secret).sign(id, at, body),
    },
    body,
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path: '/webhooks/codat' } },
  } as unknown as APIGatewayProxyEventV2;
}
