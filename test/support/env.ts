/** Environment variables set for a while in this process, then restored. */

/** Sets `vars` (undefined: removed) and returns a function that puts back what was there. */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  return () => apply(before);
}

/** Runs `fn` with environment variables set (undefined: removed), then restores them. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const restore = setEnv(vars);
  try {
    return fn();
  } finally {
    restore();
  }
}
