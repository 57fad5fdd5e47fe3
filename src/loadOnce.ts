/**
 * `load` run on the first call and its result shared by every later one; a
 * failure is not kept, so the next call tries again. For modules imported
 * when first needed (chunks of the function bundles).
 */
const loadOnce = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
};

export { loadOnce };
