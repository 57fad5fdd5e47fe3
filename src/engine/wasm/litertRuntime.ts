import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type * as LiteRtModule from '@litertjs/core';
import type { LiteRt } from '@litertjs/core';
import { UnsupportedError } from '../../errors.js';

/**
 * LiteRT.js is built for browsers and workers: it loads its Emscripten glue
 * with importScripts (or a script tag) and reads the factory off `self`. In
 * Node it needs `self` and `importScripts`, and the glue needs `require` and
 * `__dirname`. The glue is evaluated inside a function that receives those
 * two, so they never become globals; `self` and `importScripts` exist only
 * while the runtime loads. Loading also probes for WebGPU, which Node lacks,
 * and warns on the console about it; that warning goes to the runtime's log.
 */
const require = createRequire(import.meta.url);
const RECENT_LINES = 20;

/** The runtime's last log lines: its errors explain failed loads. */
const recentLog: string[] = [];
const remember = (line: string): void => {
  recentLog.push(line);
  if (recentLog.length > RECENT_LINES) recentLog.shift();
  if (process.env.TFLS_DEBUG) process.stderr.write(`litert: ${line}\n`);
};

const wasmDirectory = (): string => join(dirname(require.resolve('@litertjs/core/package.json')), 'wasm');

/**
 * What to hand loadLiteRt: the directory, so that it picks the build for this
 * Node's WASM features, unless only the compat build is there (the Lambda
 * layer ships just that one, to save 9 MB), which every Node runs.
 */
const COMPAT = 'litert_wasm_compat_internal.js';
const wasmEntry = (directory: string): string =>
  existsSync(join(directory, 'litert_wasm_internal.js')) ? `${directory}/` : join(directory, COMPAT);

const withBrowserShims = async <T>(directory: string, load: () => Promise<T>): Promise<T> => {
  const scope = globalThis as Record<string, unknown>;
  const saved = { self: scope.self, importScripts: scope.importScripts, Module: scope.Module };
  const warn = console.warn;
  console.warn = (...args: unknown[]) => remember(args.map(String).join(' '));
  const scriptRequire = createRequire(join(directory, 'litert.js'));
  scope.self = globalThis;
  scope.Module = { print: remember, printErr: remember };
  scope.importScripts = (path: string): void => {
    const source = readFileSync(path, 'utf8');
    const factory = vm.runInThisContext(`(function (require, __dirname) {\n${source}\nreturn ModuleFactory;\n})`, {
      filename: path,
    }) as (req: NodeJS.Require, dir: string) => unknown;
    scope.ModuleFactory = factory(scriptRequire, directory);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete scope[key];
      else scope[key] = value;
    }
    delete scope.ModuleFactory;
  }
};

interface Runtime {
  readonly litert: LiteRt;
  /** Which runtime this is: models remember it, and find out that it was replaced after a fault. */
  readonly generation: number;
}

let runtime: Promise<Runtime> | undefined;
let unload: (() => void) | undefined;
let generation = 0;

/** The LiteRT.js runtime, loaded once per process (and again after a fault discarded it). */
const getLiteRt = (): Promise<Runtime> => {
  runtime ??= (async () => {
    // Resolved like require does, so that a bundled handler finds the package
    // through NODE_PATH (the Lambda layer), which import() would ignore.
    const litert = (await import(pathToFileURL(require.resolve('@litertjs/core')).href)) as typeof LiteRtModule;
    const directory = wasmDirectory();
    const loaded = await withBrowserShims(directory, () => litert.loadLiteRt(wasmEntry(directory)));
    unload = () => {
      // A runtime that trapped may trap again in its own clean-up, which would
      // leave LiteRT.js holding it: its objects are dropped, not deleted, and
      // the garbage collector takes its memory once no model refers to it.
      (loaded as unknown as { delete: () => void }).delete = () => undefined;
      litert.unloadLiteRt();
    };
    return { litert: loaded, generation };
  })().catch((error: unknown) => {
    runtime = undefined;
    throw new UnsupportedError(`the LiteRT.js (WASM) runtime could not be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  });
  return runtime;
};

/**
 * Discards the runtime after a fault (a trap, or an error thrown from inside
 * it): its memory may be inconsistent, and LiteRT.js never resets it, so
 * every later load and run would inherit the damage. The next getLiteRt()
 * instantiates a fresh one; models on this one reload themselves there.
 */
const discardLiteRt = (faulted: number): void => {
  if (faulted !== generation) return;
  generation++;
  const drop = unload;
  runtime = undefined;
  unload = undefined;
  drop?.();
};

/** The runtime models should be on now. */
const liteRtGeneration = (): number => generation;

/** Whether this process has started loading the WASM runtime (cold starts should not, when native is fine). */
const liteRtRequested = (): boolean => runtime !== undefined;

/** What LiteRT logged lately, for error messages. */
const takeRecentLog = (): string => recentLog.splice(0).join(' ');

export type { Runtime };
export { discardLiteRt, getLiteRt, liteRtGeneration, liteRtRequested, takeRecentLog };
