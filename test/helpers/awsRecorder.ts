import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface RecordedCall {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Reply = (call: RecordedCall) => { status?: number; body: string };

interface AwsRecorder {
  /** An endpoint URL for AWS_ENDPOINT_URL_<SERVICE>: "localhost", so that S3 Control's <account>.host stays a valid URL. */
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  close(): Promise<void>;
}

/**
 * A local AWS endpoint that records each call and answers it with `reply`:
 * for what has no local stand-in (S3 Control, STS), so that the request the
 * SDK built can be checked.
 */
const startAwsRecorder = async (reply: Reply): Promise<AwsRecorder> => {
  const calls: RecordedCall[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const call = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      const { status = 200, body } = reply(call);
      response.writeHead(status, { 'content-type': 'text/xml' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://localhost:${port}`,
    calls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

/** The text of each <name> element in an XML body, in order. */
const xmlValues = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]!);

export type { AwsRecorder, RecordedCall };
export { startAwsRecorder, xmlValues };
