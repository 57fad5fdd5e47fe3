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
 * - Versions follow upload order. A version is claimed when the event is
 *   received, before the (slow) checks, and the claim records the event's S3
 *   sequencer, which orders the events of one key. An upload whose event
 *   arrives after a later upload's has claimed is refused (superseded), so
 *   an older model never gets the higher number.
 */
/** S3's rule: right-pad the shorter sequencer with zeros, then compare as strings. */
const compareSequencers = (a: string, b: string): number => {
  const length = Math.max(a.length, b.length);
  const [x, y] = [a.padEnd(length, '0'), b.padEnd(length, '0')];
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The event that made an upload, as far as ordering goes: its key and its sequencer. */
interface UploadOrder {
  readonly key: string;
  readonly sequencer: string;
}

interface Claim extends Partial<UploadOrder> {
  readonly uploadId: string;
}

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

  /** A later upload of the same key holds `version`'s claim. */
  async #newerThan(order: UploadOrder, version: number): Promise<boolean> {
    if (version < 1) return false;
    const claim = await this.store.getJson<Claim>(`${this.versionPrefix(version)}.claim`);
    return (
      claim?.key === order.key &&
      claim.sequencer !== undefined &&
      order.sequencer !== '' &&
      compareSequencers(claim.sequencer, order.sequencer) > 0
    );
  }

  /**
   * The version this upload publishes to: its marker's, or a newly claimed
   * one. `owner: false` when another delivery of the same upload holds the
   * marker (it is doing, or has done, the work); `superseded` when a later
   * upload of the same key already has the version above it.
   */
  public async claim(
    uploadId: string,
    order: UploadOrder,
  ): Promise<{ marker: UploadMarker; owner: boolean } | { superseded: number }> {
    const existing = await this.marker(uploadId);
    if (existing) return { marker: existing, owner: existing.state === 'claimed' };
    const highest = await this.#highest();
    if (await this.#newerThan(order, highest)) return { superseded: highest };
    let version = highest + 1;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++, version++) {
      const claimed = await this.store.putJson(
        `${this.versionPrefix(version)}.claim`,
        { uploadId, key: order.key, sequencer: order.sequencer, claimedAt: new Date().toISOString() },
        { ifAbsent: true },
      );
      if (!claimed) {
        // Whoever took this number may be a later upload: then this one is too old for any number above it.
        if (await this.#newerThan(order, version)) return { superseded: version };
        continue;
      }
      // A later upload that claimed just below, between the look and the claim: it must stay above.
      if (await this.#newerThan(order, version - 1)) {
        await this.store.delete(`${this.versionPrefix(version)}.claim`);
        return { superseded: version - 1 };
      }
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

  /** Gives a claimed version back, for an upload that will not be published: models/ keeps no trace of it. */
  public async release(marker: UploadMarker): Promise<void> {
    await this.store.delete(this.#markerKey(marker.uploadId));
    await this.store.delete(`${this.versionPrefix(marker.version)}.claim`);
  }

  public async published(marker: UploadMarker): Promise<void> {
    await this.store.putJson(this.#markerKey(marker.uploadId), { ...marker, state: 'published' });
  }
}

export type { UploadMarker, UploadOrder };
export { compareSequencers, VersionLedger };
