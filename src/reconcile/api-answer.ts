import * as v from 'valibot';
import { ApiKeyRefusedError, CodatApiError } from '../errors';

/** The provider's error body (ErrorMessage); read only for the message and the correlation id. */
const ErrorBody = v.object({
  error: v.nullish(v.string()),
  correlationId: v.nullish(v.string()),
});

/**
 * What an answer of the API means, once the retries are over (retry.ts): a 2xx body checked
 * with `schema`, or the typed error for what went wrong, named by `path`. 401 and 403 are
 * `ApiKeyRefusedError`, any other error status, a body that is not JSON or one of the wrong
 * shape `CodatApiError`; the provider's message and correlation id go into the error.
 */
export async function readAnswer<T extends v.GenericSchema>(
  response: Response,
  path: string,
  schema: T,
): Promise<v.InferOutput<T>> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CodatApiError(path, response.status, 'the body is not JSON');
  }
  if (!response.ok) {
    const error = v.safeParse(ErrorBody, body);
    const detail = error.success ? (error.output.error ?? 'no error message') : 'no error message';
    const Refusal = response.status === 401 || response.status === 403 ? ApiKeyRefusedError : CodatApiError;
    throw new Refusal(
      path,
      response.status,
      detail,
      error.success ? (error.output.correlationId ?? undefined) : undefined,
    );
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success)
    throw new CodatApiError(path, response.status, `unexpected body: ${parsed.issues[0]?.message}`);
  return parsed.output as v.InferOutput<T>;
}
