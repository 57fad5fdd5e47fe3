/** What the repository logs through (Powertools' Logger fits it). */
interface RepositoryLogger {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

const quietLogger: RepositoryLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export type { RepositoryLogger };
export { quietLogger };
