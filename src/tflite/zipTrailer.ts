/**
 * TFLite metadata tooling appends the associated files (labels, vocabularies)
 * as a zip archive after the flatbuffer. Finding where that archive starts
 * tells the reader where the flatbuffer ends, so a rewrite can re-append the
 * archive. Python's zipfile, appending to the model in place, writes offsets
 * counted from the start of the file; those are rebased here to count from
 * the archive's start, so the archive stays valid wherever it is appended
 * (zip readers find such an archive after any prefix, as after a
 * self-extractor's stub).
 */
const CENTRAL_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

interface ZipTrailer {
  /** Offset in the file where the archive starts (the file length when none). */
  readonly start: number;
  /** The archive with offsets relative to its own start. */
  readonly archive: Uint8Array;
}

const view = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const u32 = (bytes: Uint8Array, at: number): number =>
  at >= 0 && at + 4 <= bytes.length ? view(bytes).getUint32(at, true) : -1;

/** Subtracts `shift` from every offset of an archive that counted from the file's start. */
const rebase = (
  archive: Uint8Array,
  eocd: number,
  directoryStart: number,
  entries: number,
  shift: number,
): Uint8Array => {
  const copy = archive.slice();
  const data = view(copy);
  data.setUint32(eocd + 16, data.getUint32(eocd + 16, true) - shift, true);
  let at = directoryStart;
  for (let i = 0; i < entries && data.getUint32(at, true) === CENTRAL_ENTRY; i++) {
    data.setUint32(at + 42, data.getUint32(at + 42, true) - shift, true);
    at += 46 + data.getUint16(at + 28, true) + data.getUint16(at + 30, true) + data.getUint16(at + 32, true);
  }
  return copy;
};

// The signature's bytes in file order ("PK\x05\x06"). The scan covers up to 64 KB on every model
// load: its first byte is found by lastIndexOf (native), the rest compared in place, because a loop
// over every position in JS cost a cold start several milliseconds (a DataView per position, ~15).
const EOCD_BYTES = [0x50, 0x4b, 0x05, 0x06] as const;

const findZipTrailer = (bytes: Uint8Array): ZipTrailer => {
  const none = { start: bytes.length, archive: new Uint8Array(0) };
  const lowest = Math.max(0, bytes.length - EOCD_MIN - MAX_COMMENT);
  for (
    let eocd = bytes.lastIndexOf(EOCD_BYTES[0], bytes.length - EOCD_MIN);
    eocd >= lowest;
    eocd = eocd === 0 ? -1 : bytes.lastIndexOf(EOCD_BYTES[0], eocd - 1)
  ) {
    if (bytes[eocd + 1] !== EOCD_BYTES[1] || bytes[eocd + 2] !== EOCD_BYTES[2] || bytes[eocd + 3] !== EOCD_BYTES[3])
      continue;
    const entries = view(bytes).getUint16(eocd + 10, true);
    const directorySize = u32(bytes, eocd + 12);
    const directoryOffset = u32(bytes, eocd + 16);
    const directoryStart = eocd - directorySize;
    if (directoryStart < 8 || u32(bytes, directoryStart) !== CENTRAL_ENTRY) continue;
    const relativeStart = directoryStart - directoryOffset;
    if (relativeStart >= 8 && u32(bytes, relativeStart) === LOCAL_HEADER) {
      return { start: relativeStart, archive: bytes.subarray(relativeStart) };
    }
    const firstLocal = u32(bytes, directoryStart + 42);
    if (firstLocal >= 8 && u32(bytes, firstLocal) === LOCAL_HEADER && directoryOffset >= firstLocal) {
      const archive = bytes.subarray(firstLocal);
      return {
        start: firstLocal,
        archive: rebase(archive, eocd - firstLocal, directoryStart - firstLocal, entries, firstLocal),
      };
    }
  }
  return none;
};

export type { ZipTrailer };
export { findZipTrailer };
