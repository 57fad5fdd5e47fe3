import { loadOnce } from '../loadOnce.js';

/**
 * sharp, imported on first use (a chunk of the function bundles, which carry
 * its JavaScript; only its binary comes from the layer). The predict function
 * starts this at init beside the model downloads, so that its ~50 ms of
 * loading run while S3 answers instead of before; anything that decodes an
 * image awaits it.
 */
const loadSharp = loadOnce(async () => {
  const { default: sharp } = await import('sharp');
  // Every request's image is new: libvips' operation cache would only hold on to
  // the memory of the last large ones.
  sharp.cache(false);
  return sharp;
});

export { loadSharp };
