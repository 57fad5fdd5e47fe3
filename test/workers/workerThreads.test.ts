import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * Lambda Managed Instances runs handlers in worker_threads
 * (AWS_LAMBDA_NODEJS_WORKER_COUNT). The scenario runs in its own Node
 * process, so that an abort there (a C++ exception during a worker's
 * teardown) shows as its exit code instead of taking the test runner down.
 */
const scenario = (workers: number, terminateMidRun: boolean) =>
  spawnSync(process.execPath, ['test/workers/scenario.mjs', String(workers), terminateMidRun ? 'terminate' : 'serve'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });

describe('the bundled predict handler in worker threads', () => {
  it('4 workers serve concurrently, each answer right', () => {
    const run = scenario(4, false);
    expect(run.stderr).not.toMatch(/terminate called|Aborted|Segmentation/);
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { ok: number; faces: number[] };
    expect(summary.ok).toBe(40);
    expect(new Set(summary.faces)).toEqual(new Set([1]));
  });

  it('terminating workers while their runs are in flight leaves the process alive', () => {
    const run = scenario(4, true);
    expect(run.stderr).not.toMatch(/terminate called|Aborted|Segmentation/);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toMatchObject({ terminated: 4, aliveAfter: true });
  });
});
