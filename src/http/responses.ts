import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string> };

// Exactly this: KServe's Python SDK reads the error only when the type is exactly application/json (JSON is UTF-8 by definition).
const JSON_TYPE = 'application/json';

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'content-type': JSON_TYPE, ...headers },
  body: JSON.stringify(body),
  isBase64Encoded: false,
});

/** A binary body, base64 as API Gateway wants it from Lambda. */
const binary = (statusCode: number, body: Uint8Array, headers: Record<string, string>): HttpResponse => ({
  statusCode,
  headers,
  body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'),
  isBase64Encoded: true,
});

/** The error body every route uses: {"error": "<message>"}. */
const errorResponse = (statusCode: number, message: string, headers: Record<string, string> = {}): HttpResponse =>
  json(statusCode, { error: message }, headers);

export type { HttpResponse };
export { binary, errorResponse, json };
