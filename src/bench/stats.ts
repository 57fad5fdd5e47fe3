/** Nearest-rank percentile of ascending-sorted samples. */
const percentile = (sorted: readonly number[], p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
};

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

const MB = 1024 * 1024;
const rssMb = (): number => round(process.memoryUsage().rss / MB, 1);

export { percentile, round, rssMb };
