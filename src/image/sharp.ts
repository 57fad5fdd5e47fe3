// sharp, imported normally so that the function bundles carry its JavaScript
// (scripts/bundle.mjs); only its prebuilt binary comes from the layer.
import sharp from 'sharp';

// Every request's image is new: libvips' operation cache would only hold on to
// the memory of the last large ones.
sharp.cache(false);

export { sharp };
