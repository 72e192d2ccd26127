import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiGatewayEvent } from '../../local/api-gateway-event';
import { type SignOptions, signDelivery } from '../../src/webhook/sign';

export const testSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;

/** Posts `body` signed as Codat would; `tamper` changes the body after signing. */
export async function postSigned(
  url: string,
  secret: string,
  body: string,
  options: SignOptions & { tamper?: (body: string) => string } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Record<string, string> }> {
  const headers = { ...signDelivery(secret, body, options) };
  return post(url, options.tamper ? options.tamper(body) : body, headers);
}

export async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, headers };
}

/** An API Gateway (payload 2.0) event carrying `body`, signed as Codat would sign it. */
export function signedApiEvent(
  body: string,
  options: SignOptions & { secret: string },
): APIGatewayProxyEventV2 {
  return apiGatewayEvent({ headers: { ...signDelivery(options.secret, body, options) }, body });
}
