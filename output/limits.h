/* limits.h -- the writer's and the sink's size limits and defaults.
 * Contract: compile-time constants only; no code. */
#ifndef DS_OUTPUT_LIMITS_H
#define DS_OUTPUT_LIMITS_H

#define DS_CHUNK_BYTES (64 * 1024)       /* NDJSON lines are handed to the writer in chunks */
#define DS_FRAME_BYTES (4 * 1024 * 1024) /* zstd frame closed after this much input... */
#define DS_FRAME_MS    1000              /* ...or after this long, so readers can follow the file */
#define DS_ZSTD_LEVEL  1                 /* level 3 cost ~30% more CPU for a 3% smaller file */

#endif
