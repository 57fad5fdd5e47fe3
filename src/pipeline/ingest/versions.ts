import type { ObjectStore } from '../../aws/objectStore.js';
import { isVersionDirectory } from '../../repository/names.js';

/**
 * Versions are allocated with S3 conditional writes, so that racing uploads
 * get distinct numbers and a redelivered event publishes once:
 *
 * - `<models>/<name>/<n>/.claim` is written with If-None-Match: *; whoever
 *   writes it owns version n. The repository lists a version only once its
 *   model.tflite exists, which is written last, so a claimed version is
 *   invisible until it is complete.
 * - `<models>/<name>/.uploads/<upload id>.json` records which version an
 *   upload went to (also written with If-None-Match: *): a redelivery finds
 *   it, and either stops (published) or finishes that same version.
 */
interface UploadMarker {
  readonly uploadId: string;
  readonly version: number;
  readonly state: 'claimed' | 'published';
}

const MAX_ATTEMPTS = 50;

class VersionLedger {
  public constructor(
    private readonly store: ObjectStore,
    /** `<models prefix><name>/`. */
    private readonly modelPrefix: string,
  ) {}

  public versionPrefix(version: number): string {
    return `${this.modelPrefix}${version}/`;
  }

  #markerKey(uploadId: string): string {
    // Upload ids are ETags, version ids and sequencers: keep them key-safe.
    return `${this.modelPrefix}.uploads/${uploadId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
  }

  public marker(uploadId: string): Promise<UploadMarker | undefined> {
    return this.store.getJson<UploadMarker>(this.#markerKey(uploadId));
  }

  async #highest(): Promise<number> {
    const prefixes = await this.store.list(this.modelPrefix, { delimiter: '/' });
    return prefixes
      .map((p) => p.slice(this.modelPrefix.length).replace(/\/$/, ''))
      .filter(isVersionDirectory)
      .reduce((max, v) => Math.max(max, Number(v)), 0);
  }

  /**
   * The version this upload publishes to: its marker's, or a newly claimed
   * one. `owner: false` when another delivery of the same upload holds the
   * marker (it is doing, or has done, the work).
   */
  public async claim(uploadId: string): Promise<{ marker: UploadMarker; owner: boolean }> {
    const existing = await this.marker(uploadId);
    if (existing) return { marker: existing, owner: existing.state === 'claimed' };
    let version = (await this.#highest()) + 1;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++, version++) {
      const claimed = await this.store.putJson(
        `${this.versionPrefix(version)}.claim`,
        { uploadId, claimedAt: new Date().toISOString() },
        { ifAbsent: true },
      );
      if (!claimed) continue;
      const marker: UploadMarker = { uploadId, version, state: 'claimed' };
      if (await this.store.putJson(this.#markerKey(uploadId), marker, { ifAbsent: true }))
        return { marker, owner: true };
      // A concurrent delivery of the same upload got its marker in first: leave the work to it.
      await this.store.delete(`${this.versionPrefix(version)}.claim`);
      const theirs = await this.marker(uploadId);
      return { marker: theirs ?? marker, owner: false };
    }
    throw new Error(`could not claim a version under ${this.modelPrefix} after ${MAX_ATTEMPTS} attempts`);
  }

  public async published(marker: UploadMarker): Promise<void> {
    await this.store.putJson(this.#markerKey(marker.uploadId), { ...marker, state: 'published' });
  }
}

export type { UploadMarker };
export { VersionLedger };
