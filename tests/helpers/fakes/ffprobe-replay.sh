#!/bin/sh
# A fast stand-in for ffprobe (scripts/soak.ts): prints the answer the real ffprobe gave
# beforehand, for the source or for the proxy ffmpeg-replay.sh copies. The probed file is
# the last argument (`file:<path>`); by its file name:
#   *.proxx-partial   the engine's temp output: the proxy's answer
#   *broken*          fails as ffprobe does on a file that is not media
#   a missing file    fails as ffprobe does
#   anything else     the source's answer
#   PROXX_REPLAY_SOURCE_PROBE, PROXX_REPLAY_OUTPUT_PROBE  the recorded JSON answers (required)
set -u
last=
for a; do last=$a; done
file=${last#file:}
case "${file##*/}" in
  *.proxx-partial) exec cat "$PROXX_REPLAY_OUTPUT_PROBE" ;;
  *broken*)
    echo "$last: Invalid data found when processing input" >&2
    exit 1
    ;;
esac
if [ ! -f "$file" ]; then
  echo "$last: No such file or directory" >&2
  exit 1
fi
exec cat "$PROXX_REPLAY_SOURCE_PROBE"
