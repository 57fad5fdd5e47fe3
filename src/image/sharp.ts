import type SharpModule from 'sharp';

type Sharp = typeof SharpModule;

let loading: Promise<Sharp> | undefined;

/**
 * sharp, imported on first use (a chunk of the function bundles, which carry
 * its JavaScript; only its binary comes from the layer). The predict function
 * starts this at init beside the model downloads, so that its ~50 ms of
 * loading run while S3 answers instead of before; anything that decodes an
 * image awaits it.
 */
const loadSharp = (): Promise<Sharp> => {
  loading ??= import('sharp').then(
    ({ default: sharp }) => {
      // Every request's image is new: libvips' operation cache would only hold on to
      // the memory of the last large ones.
      sharp.cache(false);
      return sharp;
    },
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
};

export { loadSharp };
