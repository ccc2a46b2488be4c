#!/bin/sh
# A fast stand-in for FFmpeg (scripts/soak.ts): instead of encoding, copy one real proxy
# made beforehand by the real FFmpeg to the output (the last argument, `file:<path>`). The
# bytes are a real ProRes file, so what the engine checks after FFmpeg (size, probe) is
# checked against real media; only the encode is skipped, so 10,000 jobs take minutes.
#   PROXX_REPLAY_OUTPUT  the prepared proxy to copy (required)
set -u
out=
for a; do out=$a; done
exec cp "$PROXX_REPLAY_OUTPUT" "${out#file:}"
