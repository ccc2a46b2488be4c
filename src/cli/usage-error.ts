/** A mistake in how proxx was called: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
  }
}
