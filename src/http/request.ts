import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { InputError, PayloadTooLargeError } from '../errors.js';
import { parseJsonText } from '../protocols/jsonText.js';
import { UnsupportedMediaTypeError } from './httpErrors.js';

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
  /** When the answer is due (a Date.now() time): the invocation's end, on Lambda. */
  readonly deadline?: number;
}

/** Lambda's buffered request limit; API Gateway allows 10 MB but the function never sees more than 6. */
const DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * The body as sent before compression (Content-Encoding gzip or deflate, as
 * Triton's client sends with request_compression_algorithm). The size limit
 * applies to what it inflates to, checked while inflating: a small bomb stops
 * at the limit instead of filling memory.
 */
const decodeContent = (body: Buffer, encoding: string | undefined, maxBodyBytes: number): Buffer => {
  const coding = (encoding ?? 'identity').trim().toLowerCase();
  if (coding === 'identity' || coding === '') return body;
  const gzip = coding === 'gzip' || coding === 'x-gzip';
  if (!gzip && coding !== 'deflate')
    throw new UnsupportedMediaTypeError(
      `unsupported Content-Encoding ${JSON.stringify(coding)}; send gzip, deflate or none`,
    );
  const options = { maxOutputLength: maxBodyBytes };
  const tooLarge = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  try {
    if (gzip) return gunzipSync(body, options);
    // RFC 9110's deflate is zlib-wrapped; some clients send it raw.
    try {
      return inflateSync(body, options);
    } catch (error) {
      if (tooLarge(error)) throw error;
      return inflateRawSync(body, options);
    }
  } catch (error) {
    if (tooLarge(error))
      throw new PayloadTooLargeError(`the request body inflates to over the limit of ${maxBodyBytes} bytes`);
    throw new InputError(`the request body is not valid ${coding} data (Content-Encoding ${coding})`);
  }
};

const toRequest = (event: APIGatewayProxyEventV2, maxBodyBytes = DEFAULT_MAX_BODY_BYTES): HttpRequest => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (value !== undefined) headers[name.toLowerCase()] = value;
  const raw = event.body ?? '';
  // base64 is 4/3 of the bytes it carries: refuse before decoding what would be too big.
  const estimated = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw);
  if (estimated > maxBodyBytes + 3)
    throw new PayloadTooLargeError(`the request body is ${estimated} bytes, over the limit of ${maxBodyBytes}`);
  const received = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (received.length > maxBodyBytes)
    throw new PayloadTooLargeError(`the request body is ${received.length} bytes, over the limit of ${maxBodyBytes}`);
  const body = decodeContent(received, headers['content-encoding'], maxBodyBytes);
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
