/** Exit codes, one table for every command; `proxx --help` and the README print the same list. */
export const EXIT = {
  OK: 0,
  /** `run`: a clip failed. `watch --once`: a job failed or was invalid. */
  FAILED: 1,
  USAGE: 2,
  /** `run` / `validate`: the JobSpec is invalid (nothing ran). */
  INVALID: 3,
  /** FFmpeg missing, a file or folder unreadable or missing. */
  ENVIRONMENT: 4,
  /** Another runner holds the watch folder's lock. */
  LOCKED: 5,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

export const EXIT_CODE_HELP = `Exit codes:
  0    all clips completed (watch --once: no job failed in the scan)
  1    a clip failed (watch --once: a job failed or was invalid)
  2    usage error (unknown option, missing argument)
  3    JobSpec invalid: nothing ran (run, validate)
  4    environment error: FFmpeg missing, file or folder unreadable or missing or not writable
  5    watch folder locked by another runner (watch, reset); with --shard: that
       shard's lock, or a conflicting runner (unsharded, or another total), is live
  130  interrupted by SIGINT (Ctrl-C)
  143  interrupted by SIGTERM`;
