/** Renders rows as aligned columns for terminals. */
const table = (rows: readonly (readonly string[])[]): string => {
  const widths = rows.reduce<number[]>((acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)), []);
  return `${rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')}\n`;
};

const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

const json = (value: unknown): string => `${JSON.stringify(value)}\n`;

export { json, ms, table };
