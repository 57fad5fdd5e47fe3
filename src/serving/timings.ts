/** Where a request's time went, reported as a Server-Timing header and as metrics. */
interface StageTimings {
  decodeMs: number;
  preprocessMs: number;
  inferMs: number;
  postprocessMs: number;
}

const emptyTimings = (): StageTimings => ({ decodeMs: 0, preprocessMs: 0, inferMs: 0, postprocessMs: 0 });

const addTimings = (total: StageTimings, part: StageTimings): void => {
  total.decodeMs += part.decodeMs;
  total.preprocessMs += part.preprocessMs;
  total.inferMs += part.inferMs;
  total.postprocessMs += part.postprocessMs;
};

/** RFC Server-Timing: decode;dur=1.2, preprocess;dur=0.3, ... */
const serverTiming = (timings: StageTimings, totalMs?: number): string => {
  const parts = [
    `decode;dur=${timings.decodeMs.toFixed(3)}`,
    `preprocess;dur=${timings.preprocessMs.toFixed(3)}`,
    `infer;dur=${timings.inferMs.toFixed(3)}`,
    `postprocess;dur=${timings.postprocessMs.toFixed(3)}`,
  ];
  if (totalMs !== undefined) parts.push(`total;dur=${totalMs.toFixed(3)}`);
  return parts.join(', ');
};

export type { StageTimings };
export { addTimings, emptyTimings, serverTiming };
