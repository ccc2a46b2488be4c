/** Version of proxx. `scripts/build.ts` stamps GIT_COMMIT at compile time through `--define`. */
export const VERSION = "0.1.0";

declare const PROXX_GIT_COMMIT: string | undefined;
export const GIT_COMMIT: string = typeof PROXX_GIT_COMMIT === "string" ? PROXX_GIT_COMMIT : "source";
