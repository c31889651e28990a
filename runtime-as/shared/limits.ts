/**
 * The sizes a reader of untrusted files accepts. Every size a file states (a length, a count, a
 * width, a view's extent) is checked against these, and against the real file size, before anything
 * is allocated or looped over: a file of a few bytes must not claim gigabytes or hours. Each limit
 * sits far above what a real model or file of its kind needs (noted beside it), so only mistakes,
 * hostile or corrupt files meet them, and the message names the limit.
 */
export const LIMITS = {
  // What a model and a recognizer may ask for. Real ones are far inside (CTR-GCN: 64 frames,
  // 2 persons, 25 joints, 3 channels, 10 units of ≤ 256 channels, ≤ 400 classes).
  /** Frames the network sees (input.T, `--frames`). */
  frames: 1024,
  persons: 16,
  joints: 256,
  channels: 4096,
  units: 64,
  classes: 100_000,
  /** Raw frames a streaming window or a whole classified recording holds (`--window-frames`, `--sequence-capacity`). */
  windowFrames: 10_000,

  // What a file of each kind may claim.
  /** Members of one zip (.npz, .pt). A CTR-GCN checkpoint has ~600, an .npz 4. */
  zipMembers: 65_536,
  /** Bytes of a zip's central directory (46 bytes + name per member: ~50 kB for a checkpoint). */
  zipDirectoryBytes: 64 << 20,
  /**
   * Bytes of a member read whole into memory (a pickle, a checkpoint storage, a small .npy); large
   * arrays (CTR-GCN's 7 GB x_train) are streamed instead and bounded by their declared size.
   */
  wholeMemberBytes: 2 ** 31 - 1,
  /** Most a deflated member can inflate per compressed byte: DEFLATE's own ceiling is ~1032. */
  deflateRatio: 1032,
  /** Bytes of one integer in a pickle (LONG1/LONG4, or a decimal INT/LONG line). Checkpoints store sizes, strides and epochs: 8 bytes. */
  pickleIntegerBytes: 1024,
  /** Tensors in one checkpoint (the full CTR-GCN has ~600 entries with its BN counters). */
  checkpointTensors: 20_000,
  /** float32 elements materialised from one checkpoint in all (2^28: 1 GiB; CTR-GCN has 1.5 M). */
  checkpointElements: 2 ** 28,
  /** Nesting of any JSON the project reads (a sidecar, model.json, a Kinetics clip: 6 at most). */
  jsonDepth: 64,
  /**
   * Bytes of a user's file read whole (a recording, a cache's samples, a module, an input array):
   * Node's own ceiling for one read. Checked on a regular file's size before reading.
   */
  inputFileBytes: 2 ** 31 - 1,
  /**
   * Bytes of a text file read whole (a Kinetics clip ~100 kB, a description or class list a few kB,
   * index.json ~2 MB for NTU-120): V8's longest string is 2^29 - 24 characters.
   */
  inputTextBytes: 256 << 20,
  /**
   * Distinct phrases the built-in text encoder embeds for one CoCoDiff run (each class has its label,
   * synonyms and six body-part sentences: about 12). Its cache, RUN_DIR/text-embeddings.json, keeps
   * ~2.8 kB per phrase in one JSON text, which must stay within inputTextBytes: 60,000 phrases is
   * ~170 MB, about 5,000 classes. Precomputed embeddings (one [classes, dim] .npy row per class) have
   * no such cache and go up to `classes`.
   */
  textPhrases: 60_000,
  /** Characters of one NDJSON frame line (10 people × 133 whole-body joints is ~60 kB). */
  ndjsonLineChars: 4 << 20,
} as const;
