import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { bundledSamplesDir, packageRoot } from '../paths.js';

interface StaticFile {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
};

// The page loads only its own files; it may call any API (the deployed one, by CORS).
const PAGE_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src *; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

// One segment, no leading dot: nothing outside the two folders can be named.
const FILE = /^\/playground\/(samples\/)?([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

const json = (status: number, value: unknown): StaticFile => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(value)),
});

const read = async (path: string, missing: string): Promise<StaticFile> => {
  try {
    const body = await readFile(path);
    const type = TYPES[extname(path)] ?? 'application/octet-stream';
    return {
      status: 200,
      headers: {
        'content-type': type,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        ...(type.startsWith('text/html') && { 'content-security-policy': PAGE_POLICY }),
      },
      body,
    };
  } catch {
    return json(404, { error: missing });
  }
};

/**
 * The playground's files for the local server: its page at `/`, its
 * script and style under /playground/, the bundled sample photos under
 * /playground/samples/ (listed by /playground/samples.json). Undefined for
 * every other path, which belongs to the API.
 */
const playgroundFile = async (path: string): Promise<StaticFile | undefined> => {
  const root = packageRoot();
  const built = root && join(root, 'dist', 'playground');
  const unbuilt = 'the playground is not built: run "npm run build" in the tflite-serverless package';
  if (path === '/' || path === '/index.html')
    return built ? read(join(built, 'index.html'), unbuilt) : json(404, { error: unbuilt });
  const samples = bundledSamplesDir();
  if (path === '/playground/samples.json') {
    const names = samples ? (await readdir(samples)).filter((n) => /\.(jpe?g|png)$/i.test(n)).sort() : [];
    return json(200, names);
  }
  const match = FILE.exec(path);
  if (!match) return undefined;
  const [, inSamples, name] = match;
  if (inSamples)
    return samples
      ? read(join(samples, name!), `no sample photo ${name}`)
      : json(404, { error: 'no sample photos in this install' });
  return built ? read(join(built, name!), `no playground file ${name}`) : json(404, { error: unbuilt });
};

export { playgroundFile };
