#!/bin/sh
# The real ffprobe, memoised by the arguments and the probed file's content (the last
# argument, `file:<path>`): identical bytes are probed once. See ffmpeg-memo.sh.
#   PROXX_MEMO_DIR      cache folder (required)
#   PROXX_REAL_FFPROBE  the ffprobe to memoise (default: ffprobe on PATH)
set -u
last=
for a; do last=$a; done
file=${last#file:}
[ -f "$file" ] || exec "${PROXX_REAL_FFPROBE:-ffprobe}" "$@"
key=$( { for a; do [ "$a" = "$last" ] || printf '%s\n' "$a"; done; md5sum < "$file"; } | md5sum | cut -c1-32)
cached="$PROXX_MEMO_DIR/ffprobe-$key"
if [ -f "$cached" ]; then
  exec cat "$cached"
fi
"${PROXX_REAL_FFPROBE:-ffprobe}" "$@" > "$cached.$$" 2> "$cached.$$.err"
rc=$?
cat "$cached.$$"
cat "$cached.$$.err" >&2
if [ $rc -eq 0 ]; then mv "$cached.$$" "$cached"; else rm -f "$cached.$$"; fi
rm -f "$cached.$$.err"
exit $rc
