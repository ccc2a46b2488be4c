/**
 * Preloaded by bunfig.toml for every test file. Integration tests drive real FFmpeg and real
 * processes on a shared 2-core machine; bun's 5 s default per test is too tight for them.
 */
import { setDefaultTimeout } from "bun:test";

setDefaultTimeout(60_000);
