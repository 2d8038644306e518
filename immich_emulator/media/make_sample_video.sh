#!/bin/sh
# Regenerate sample_video.mp4, the bytes the emulator serves for video assets.
#
# The captured video asset VID_2024_12_04.mp4 is 320x240, 3 s and 45677 bytes long, and the
# playback captures report that length. ffmpeg draws a test pattern of that size and length
# as H.264 with the index (moov) at the front, so players can seek before the download ends.
# A trailing `free` box, which MP4 readers skip, pads the file to exactly 45677 bytes.
# Run it once with Debian's ffmpeg (5.1); nothing runs it during tests.
set -eu
cd "$(dirname "$0")"
target_size=45677
ffmpeg -v error -y -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3" \
  -c:v libx264 -profile:v main -pix_fmt yuv420p -b:v 90k -maxrate 100k -bufsize 200k -g 25 \
  -movflags +faststart -map_metadata -1 -fflags +bitexact -an sample_video.mp4
size=$(wc -c < sample_video.mp4)
padding=$((target_size - size))
if [ "$padding" -lt 8 ]; then
  echo "sample_video.mp4 is $size bytes; lower the bit rate to stay under $target_size" >&2
  exit 1
fi
python3 - "$padding" <<'PY'
import sys

padding = int(sys.argv[1])
with open("sample_video.mp4", "ab") as video:
    video.write(padding.to_bytes(4, "big") + b"free" + bytes(padding - 8))
PY
echo "sample_video.mp4: $(wc -c < sample_video.mp4) bytes"
