import { SourceNotAllowedError } from '../errors';
import type { DeliveryMiddleware } from './delivery';

/**
 * Refuses callers outside `allowed` (403) before any other work: defence in depth on top of
 * the signature, never instead of it. The address is the one API Gateway saw connect.
 */
export function sourceAllowList(allowed: readonly string[]): DeliveryMiddleware {
  const addresses = new Set(allowed);
  return {
    before: (request) => {
      const sourceIp = request.event.requestContext?.http?.sourceIp ?? '';
      if (!addresses.has(sourceIp)) throw new SourceNotAllowedError(sourceIp);
    },
  };
}
