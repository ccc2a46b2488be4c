#!/bin/bash
# A stand-in for ffprobe (tests/integration/hostile-ffmpeg.test.ts): the real ffprobe, except
# that for a temp output whose name contains "duration" it reports a duration of 9 s, as a
# broken or lying FFmpeg build would. Everything else passes through unchanged.
#   PROXX_REAL_FFPROBE  the real ffprobe (default: ffprobe on PATH)
last=
for a; do last=$a; done
real=${PROXX_REAL_FFPROBE:-ffprobe}
case "$last" in
  *duration*.proxx-partial)
    "$real" "$@" | sed -E 's/"duration": "[0-9.]+"/"duration": "9.000000"/'
    exit "${PIPESTATUS[0]}"
    ;;
  *)
    exec "$real" "$@"
    ;;
esac
