import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints every test file's time, slowest first, and the total: the suite
 * must stay within its budget on a 2-core machine (README), and this says
 * where the minutes go.
 */
class FileTimes implements Reporter {
  public onTestRunEnd(modules: readonly TestModule[]): void {
    const rows = modules
      .map((module) => ({ file: module.moduleId.replace(`${process.cwd()}/`, ''), ms: module.diagnostic().duration }))
      .sort((a, b) => b.ms - a.ms);
    const total = rows.reduce((sum, row) => sum + row.ms, 0);
    const lines = rows.map((row) => `${(row.ms / 1000).toFixed(1).padStart(7)} s  ${row.file}`);
    process.stdout.write(
      `\nTest files by time (each file in its own process; 2 run at once on 2 cores):\n${lines.join('\n')}\n${(total / 1000).toFixed(1).padStart(7)} s  in all\n`,
    );
  }
}

export default FileTimes;
