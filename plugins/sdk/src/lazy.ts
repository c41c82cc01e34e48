// Loading a plugin should cost its definition (metadata, schemas) only: a process that never runs
// a Slack action need not hold the Slack SDK. Vendor SDKs are imported on first use instead.

export interface LazyModule<T> {
  /** The module, imported on the first call; later calls share that import. */
  (): Promise<T>;
  /** The module if it was imported already. Error mapping uses it: a value cannot be an instance of a vendor class that was never loaded. */
  loaded(): T | undefined;
}

/**
 * `const slack = lazyImport(() => import('@slack/web-api'))`, then `const { WebClient } = await slack()`.
 * The `import()` stays in the plugin so it resolves from the plugin's own dependencies. A failed
 * import is not cached: the next call tries again.
 */
export function lazyImport<T>(load: () => Promise<T>): LazyModule<T> {
  let module: T | undefined;
  let pending: Promise<T> | undefined;
  const get = () =>
    (pending ??= load().then(
      (m) => (module = m),
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    ));
  return Object.assign(get, { loaded: () => module });
}
