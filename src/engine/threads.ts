import { availableParallelism } from 'node:os';
import { getNumberFromEnv } from '../config/env.js';
import { ConfigError } from '../errors.js';

// "At 1,769 MB, a function has the equivalent of one vCPU" (Lambda docs).
const LAMBDA_MB_PER_VCPU = 1769;
const MAX_THREADS = 64;

/** The CPUs the function gets: on Lambda the vCPUs its memory size buys, else the CPUs available. */
const availableCpus = (env: NodeJS.ProcessEnv = process.env): number => {
  const cpus = availableParallelism();
  const memoryMb = getNumberFromEnv({
    key: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
    defaultValue: 0,
    min: 128,
    integer: true,
    env,
  });
  return memoryMb > 0 ? Math.max(1, Math.min(cpus, Math.ceil(memoryMb / LAMBDA_MB_PER_VCPU))) : cpus;
};

/**
 * Interpreters per model (TFLITE_INTERPRETERS), else as many as the CPUs
 * hold at `threads` each: one on a one-vCPU function, where requests come
 * one at a time anyway, several where one process serves many at once.
 */
const resolveInterpreters = (threads: number, env: NodeJS.ProcessEnv = process.env): number => {
  const fromEnv = getNumberFromEnv({
    key: 'TFLITE_INTERPRETERS',
    defaultValue: 0,
    min: 1,
    max: 256,
    integer: true,
    env,
  });
  return fromEnv > 0 ? fromEnv : Math.max(1, Math.floor(availableCpus(env) / threads));
};

/**
 * Threads for an interpreter: the explicit option, else TFLITE_NUM_THREADS,
 * else on Lambda the vCPUs the memory size buys, else the CPUs available.
 * Lambda reports more CPUs than the function's share, and threads beyond the
 * share only contend.
 */
const resolveThreads = (option?: number, env: NodeJS.ProcessEnv = process.env): number => {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1 || option > MAX_THREADS) {
      throw new ConfigError(`threads must be an integer in [1, ${MAX_THREADS}], got ${option}`);
    }
    return option;
  }
  const fromEnv = getNumberFromEnv({
    key: 'TFLITE_NUM_THREADS',
    defaultValue: 0,
    min: 1,
    max: MAX_THREADS,
    integer: true,
    env,
  });
  return fromEnv > 0 ? fromEnv : availableCpus(env);
};

export { resolveInterpreters, resolveThreads };
