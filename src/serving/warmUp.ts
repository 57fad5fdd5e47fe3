import { zeroInputs } from '../engine/syntheticInputs.js';
import { ImageDeadline } from '../image/imageDeadline.js';
import { grayPng } from '../image/imageToTensor.js';
import type { ModelRepository } from '../repository/ModelRepository.js';
import { predictImage } from './predictImage.js';

/**
 * What a first request would otherwise pay, paid at init instead (where
 * provisioned concurrency pays for it): each preloaded model predicts once,
 * a small gray image through its whole task pipeline where it takes images
 * (libvips' start-up, XNNPACK's first run, the JIT of the JS on the way),
 * else a run on zeros. Nothing is recorded. Failures are the repository's to
 * report; warming skips them.
 */
const warmUp = async (
  repository: ModelRepository,
  names: readonly string[],
  imageTimeoutSeconds: number,
): Promise<void> => {
  if (names.length === 0) return;
  const image = await grayPng(64, 64);
  for (const name of names) {
    try {
      const lease = await repository.acquire(name);
      try {
        const { model } = lease.served;
        await predictImage(lease.served, image, ImageDeadline.after(imageTimeoutSeconds)).catch(() =>
          model.runAsync(zeroInputs(model.inputs), { consume: () => undefined }),
        );
      } finally {
        lease.release();
      }
    } catch {
      // Not loaded: readiness says so.
    }
  }
};

export { warmUp };
