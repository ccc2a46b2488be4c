#!/bin/bash
# A hostile stand-in for FFmpeg (tests/integration/hostile-ffmpeg.test.ts). What it does is
# chosen by the SOURCE file name (the argument after -i), so one watch folder can hold one
# job per misbehaviour and prove the runner goes on to the next:
#   *hang*            never exits, ignores `q` on stdin (SIGTERM ends it)
#   *ignore-term*     never exits and ignores SIGTERM too (only SIGKILL ends it)
#   *segv*            dies by SIGSEGV
#   *exit0-nooutput*  exits 0 without writing the output
#   *zero-byte*       exits 0 after writing a 0-byte output
#   *garbage*         exits 0 after writing 64 KB of non-media bytes
#   *flood*           writes 50 MB of stderr lines, then exits 1
#   *bad-progress*    prints malformed -progress lines on stdout, then runs the real FFmpeg
#   anything else     the real FFmpeg ($PROXX_REAL_FFMPEG, default ffmpeg)
# Copied under a unique name per test run so `ps` can prove nothing is left behind.
out=
src=
prev=
for a; do
  [ "$prev" = "-i" ] && src=${a#file:}
  prev=$a
  out=$a
done
out=${out#file:}
real=${PROXX_REAL_FFMPEG:-ffmpeg}
case "$(basename "$src")" in
  *ignore-term*)
    trap '' TERM
    while :; do sleep 0.05; done
    ;;
  *hang*)
    while :; do sleep 0.05; done
    ;;
  *segv*)
    echo "about to crash" >&2
    kill -SEGV $$
    ;;
  *exit0-nooutput*)
    exit 0
    ;;
  *zero-byte*)
    : > "$out"
    exit 0
    ;;
  *garbage*)
    for i in $(seq 1 1024); do printf 'NOT A MOVIE, JUST GARBAGE BYTES %04d ..............................\n' "$i"; done > "$out"
    exit 0
    ;;
  *flood*)
    yes '[warning] non-monotonic DTS in output stream 0:0; previous: 1234, current: 1233; changing to 1235. This may result in incorrect timestamps in the output file.' | head -c "${PROXX_FLOOD_BYTES:-50000000}" >&2
    printf "\nflood-end: conversion failed\n" >&2
    exit 1
    ;;
  *bad-progress*)
    printf 'frame=abc\nout_time_us=zzz\nprogress=continue\n=\n==\nfps=\nspeed=NaNx\nprogress=continue\n'
    head -c 200000 /dev/zero | tr '\0' 'x'
    printf '\nout_time_ms=-5\nprogress=end\nprogress=continue\n\r\r\n'
    exec "$real" "$@"
    ;;
  *)
    exec "$real" "$@"
    ;;
esac
