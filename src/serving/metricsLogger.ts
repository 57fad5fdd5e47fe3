import type { Logger } from '@aws-lambda-powertools/logger';

const EMPTY_FLUSH = /^No application metrics to publish/;

/**
 * The logger Powertools Metrics reports through: the service's structured
 * logger (so its level applies), with the empty-flush warning as debug. One
 * process serves concurrent invocations (Managed Instances, the local
 * server), so one invocation's flush often carries another's metrics, and
 * the later flush finding none is expected, not a problem.
 */
const metricsLogger = (logger: Logger) => ({
  debug: (...args: unknown[]) => logger.debug(String(args[0] ?? ''), ...args.slice(1).map((a) => ({ detail: a }))),
  info: (...args: unknown[]) => logger.info(String(args[0] ?? ''), ...args.slice(1).map((a) => ({ detail: a }))),
  warn: (...args: unknown[]) => {
    const message = String(args[0] ?? '');
    if (EMPTY_FLUSH.test(message)) logger.debug(message);
    else logger.warn(message, ...args.slice(1).map((a) => ({ detail: a })));
  },
  error: (...args: unknown[]) => logger.error(String(args[0] ?? ''), ...args.slice(1).map((a) => ({ detail: a }))),
});

export { metricsLogger };
