import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InputError, PayloadTooLargeError } from '../errors.js';
import { parseJsonText } from '../protocols/jsonText.js';

/** The parts of an API Gateway v2 event a route needs, decoded once. */
interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** media type without parameters, lower-cased ('' when absent). */
  readonly contentType: string;
  readonly requestId: string;
}

/** Lambda's buffered request limit; API Gateway allows 10 MB but the function never sees more than 6. */
const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

const toRequest = (event: APIGatewayProxyEventV2, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): HttpRequest => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  const raw = event.body ?? '';
  // base64 is 4/3 of the bytes it carries: refuse before decoding what would be too big.
  const estimated = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
  if (estimated > maxBodyBytes + 3)
    throw new PayloadTooLargeError(`the request body is ${estimated} bytes, over the limit of ${maxBodyBytes}`);
  const body = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (body.length > maxBodyBytes)
    throw new PayloadTooLargeError(`the request body is ${body.length} bytes, over the limit of ${maxBodyBytes}`);
  return {
    method: (event.requestContext?.http?.method ?? 'GET').toUpperCase(),
    path: event.rawPath ?? event.requestContext?.http?.path ?? '/',
    headers,
    body,
    contentType: (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(),
    requestId: event.requestContext?.requestId ?? '',
  };
};

/** The body as JSON; a 400 naming the problem otherwise. */
const jsonBody = (request: HttpRequest): unknown => {
  if (request.body.length === 0) throw new InputError('the request body is empty; send JSON');
  try {
    return parseJsonText(request.body.toString('utf8'));
  } catch (error) {
    throw new InputError(`the request body is not valid JSON: ${(error as Error).message}`);
  }
};

export type { HttpRequest };
export { DEFAULT_MAX_BODY_BYTES, jsonBody, toRequest };
