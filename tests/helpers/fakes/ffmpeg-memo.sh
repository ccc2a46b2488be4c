#!/bin/sh
# The real FFmpeg, memoised: a second call with the same arguments (all but the last, the
# output) copies the file the first call produced instead of encoding again. The outputs are
# real FFmpeg outputs, so real ffprobe verification still means something; only repeated
# identical encodes (the fuzzer's many valid cases) get cheap.
#   PROXX_MEMO_DIR     cache folder (required)
#   PROXX_REAL_FFMPEG  the FFmpeg to memoise (default: ffmpeg on PATH)
set -u
out=
for a; do out=$a; done
key=$(for a; do [ "$a" = "$out" ] || printf '%s\n' "$a"; done | md5sum | cut -c1-32)
cached="$PROXX_MEMO_DIR/ffmpeg-$key"
dest=${out#file:}
if [ -f "$cached" ]; then
  exec cp "$cached" "$dest"
fi
"${PROXX_REAL_FFMPEG:-ffmpeg}" "$@" || exit $?
cp "$dest" "$cached.$$" && mv "$cached.$$" "$cached"
