import type busboy from 'busboy';
import { InputError } from '../errors.js';
import { loadOnce } from '../loadOnce.js';
import type { HttpRequest } from './request.js';

/** Field names a multipart request may carry images under. */
const IMAGE_FIELD = /^images?(\[\])?$/;

// busboy is loaded with the first multipart request (a chunk of the bundle): the other requests and
// every cold start do without it.
const loadBusboy = loadOnce(async () => (await import('busboy')).default);

/** The image files of a multipart/form-data body, in order. */
const multipartImages = async (request: HttpRequest, maxFiles: number): Promise<Uint8Array[]> => {
  const createParser = await loadBusboy();
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = createParser({
        headers: { 'content-type': request.headers['content-type'] ?? '' },
        limits: { files: maxFiles + 1, fields: 100 },
      });
    } catch (error) {
      reject(new InputError(`malformed multipart/form-data request: ${(error as Error).message}`));
      return;
    }
    const files: Promise<Uint8Array | undefined>[] = [];
    parser.on('file', (field, stream) => {
      const chunks: Buffer[] = [];
      files.push(
        new Promise((done, fail) => {
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('end', () => done(IMAGE_FIELD.test(field) ? Buffer.concat(chunks) : undefined));
          stream.on('error', fail);
        }),
      );
    });
    parser.on('error', (error: Error) =>
      reject(new InputError(`malformed multipart/form-data request: ${error.message}`)),
    );
    parser.on('close', () => {
      Promise.all(files)
        .then((all) => all.filter((file): file is Uint8Array => file !== undefined && file.length > 0))
        .then((images) => {
          if (images.length === 0) reject(new InputError('the multipart request has no "image" file field'));
          else resolve(images);
        }, reject);
    });
    parser.end(request.body);
  });
};

export { multipartImages };
