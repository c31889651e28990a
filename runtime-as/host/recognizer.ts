/**
 * The host side of a compiled recognizer: instantiate the .wasm, classify whole sequences, and
 * stream camera frames with a prediction every `stride` frames, smoothed and thresholded.
 * Browser-safe: nothing here imports Node modules. File paths are read by the file reader the Node
 * entry (node.ts) installs; without it, strings are URLs.
 */
import { ABI_EXPORTS, ABI_VERSION, MAX_COORDINATE, MODALITY_CODES, STATUS } from '../shared/abi.ts';
import type { Modality } from '../shared/input-spec.ts';
import { UserError } from '../shared/errors.ts';
import { isLayoutName, jointCorrespondence, layoutForJoints, LAYOUT_LIST, LAYOUTS, type LayoutName } from '../shared/layouts.ts';
import { firstBadCoordinate, type Sequence } from '../shared/sequence.ts';
import { frameFromBodies, mapBody, type Body } from './adapters.ts';
import { fitHead, HEAD_METHODS, softmaxInto, type FewShotHead, type HeadMethod, type TaughtClass } from './few-shot.ts';
import { readLearnedFile, toLearnedFile, type LearnedFile, type LearnedRecognizerId } from './learned-file.ts';
import { openRecognizer, type RecognizerSource, type SidecarOptions } from './open-recognizer.ts';
import type { RecognizerSidecar } from './sidecar.ts';
import { startThreads, threadsOf, type ThreadPool } from './threads.ts';

/** The module's exports by their ABI_EXPORTS key (runtime-as/shared/abi.ts holds the names). */
type Exports = { memory: WebAssembly.Memory } & { [K in Exclude<keyof typeof ABI_EXPORTS, 'memory'>]: (...args: number[]) => number };

/** What a loaded recognizer is: its classes, its input and its memory, read from the module (labels and layout from the sidecar). */
export interface RecognizerInfo {
  /** The module's class names in its class order (`class 0`, `class 1`, … without a sidecar); {@link Recognizer.labels} adds the taught ones. */
  labels: string[];
  /** Joint layout the model was trained on (from the sidecar; null when there is none). */
  layout: LayoutName | null;
  /** Joints per person (V). */
  joints: number;
  /** Person slots per frame (M); further persons in a frame are left out. */
  persons: number;
  /** Coordinates per joint (C): x y z, or x y score for 2D layouts. */
  coords: number;
  /** Length D of the backbone's pooled feature, which {@link Recognizer.learn} fits new gestures over. */
  features: number;
  /** Frames the network sees after resizing. */
  modelFrames: number;
  /** Frames the streaming ring holds. */
  windowFrames: number;
  /** Frames `classify` takes in one call (more are compacted to their valid frames first). */
  sequenceCapacity: number;
  /** What the network was trained on (joint, bone, joint-motion or bone-motion); the module computes it from the frames. */
  modality: Modality;
  /** Linear memory of the module, fixed after instantiation. */
  memoryBytes: number;
  /** Whether its convolutions run in int8 (`compile --int8`), as its sidecar says; false without a sidecar. */
  int8: boolean;
  /** Threads each inference is split over (`compile --threads N`): this thread and N − 1 workers started at load; 1 for a single-threaded module. */
  threads: number;
}

/** One class and its score. */
export interface ClassScore {
  /** The class's index in {@link RecognizerInfo.labels}. */
  index: number;
  /** The class name. */
  label: string;
  /** Its probability (softmax; smoothed in a {@link Prediction}). */
  score: number;
}

/** What {@link Recognizer.classify} returns for a whole recording. */
export interface Classification {
  /** The best classes, best first. */
  top: ClassScore[];
  /** The probability of every class, in class order. */
  probs: Float32Array;
  /** Time the module took (preprocessing, network and softmax), in milliseconds. */
  latencyMs: number;
  /** Frames of the recording left out as broken: NaN, infinite, or beyond ±MAX_COORDINATE. */
  rejectedFrames: number;
}

/** How {@link Recognizer.push} turns frames into predictions: given to {@link Recognizer.load} or {@link Recognizer.configure}. */
export interface StreamOptions {
  /** Predict after every `stride` accepted frames (default 8). */
  stride?: number;
  /** Exponential smoothing of the probabilities: s ← α·p + (1 − α)·s (default 0.6; 1 = none). */
  alpha?: number;
  /** Below this smoothed top score the prediction's action is null: "no action" (default 0). */
  threshold?: number;
  /** Labels reported per prediction (default 5). */
  topK?: number;
}

/** What {@link Recognizer.push} returns every `stride` frames, and {@link Recognizer.predict} at any time. */
export interface Prediction {
  /** Accepted frames so far; this prediction covers the window ending at that frame. */
  frame: number;
  /** The smoothed top label, or null when below the threshold or when no one is in view. */
  action: string | null;
  /** Smoothed top-k, best first. */
  top: ClassScore[];
  /** Smoothed probabilities (a copy). */
  probs: Float32Array;
  /** Time this inference took (preprocessing, network and softmax), in milliseconds. */
  latencyMs: number;
  /** Frames of the window that hold a person. */
  validFrames: number;
}

/** Options of {@link Recognizer.learn}. */
export interface LearnOptions {
  /**
   * The head fitted over the backbone's features for every taught class (default `ncm`, nearest
   * class mean with a learned scale, which measured better; `logistic`: a small logistic regression).
   * Changing it refits the classes taught before.
   */
  method?: HeadMethod;
}

/** What {@link Recognizer.learn} taught. */
export interface LearnedClass {
  /** The new class's name. */
  name: string;
  /** Its index in {@link Recognizer.labels} and in every probability vector. */
  index: number;
  /** Recordings it was taught from. */
  recordings: number;
  /** Time the whole call took (the recordings through the module and the fit), in milliseconds. */
  milliseconds: number;
}

/** Options of {@link Recognizer.load}: where the sidecar comes from and whether to trust it, plus the streaming options. */
export interface LoadOptions extends StreamOptions, SidecarOptions {}

const MODALITY_BY_CODE = Object.fromEntries(Object.entries(MODALITY_CODES).map(([k, v]) => [v, k])) as Record<number, Modality>;

/** A compiled recognizer .wasm, loaded: classifies whole recordings and streams camera frames. */
export class Recognizer {
  /** What the module is: its classes, input shape and memory. */
  readonly info: RecognizerInfo;
  private readonly x: Exports;
  private stride = 8;
  private alpha = 0.6;
  private threshold = 0;
  private topK = 5;
  private accepted = 0;
  private smoothed: Float32Array | null = null;
  /** Frames push() refused before the module saw them (wrong types or shape); counted as rejected. */
  private refused = 0;
  /** Gestures taught on the device, their head (null: none taught) and the module they belong to. */
  private taught: TaughtClass[] = [];
  private method: HeadMethod = 'ncm';
  private head: FewShotHead | null = null;
  private readonly identity: LearnedRecognizerId;
  /** A threaded module's workers (null: single-threaded). */
  private readonly pool: ThreadPool | null;
  private disposed = false;

  private constructor(instance: WebAssembly.Instance, sidecar: RecognizerSidecar | undefined, opts: StreamOptions, wasmName: string, pool: ThreadPool | null = null) {
    this.pool = pool;
    const exported = instance.exports;
    // The version first: a module of another ABI lacks exports this host needs, and "recompile" is the answer.
    const version = exported[ABI_EXPORTS.abiVersion];
    const abi = typeof version === 'function' ? (version as () => unknown)() : undefined;
    if (abi !== undefined && abi !== ABI_VERSION) throw new UserError(`${wasmName}: recognizer ABI version ${String(abi)}, this host speaks ${ABI_VERSION}; recompile it with this cocodiff`);
    const bound: Record<string, unknown> = {};
    for (const [key, name] of Object.entries(ABI_EXPORTS)) {
      if (!Object.hasOwn(exported, name)) throw new UserError(`${wasmName}: not a cocodiff recognizer: the .wasm has no "${name}" export`);
      const kind = key === 'memory' ? WebAssembly.Memory : Function;
      if (!(exported[name] instanceof kind)) throw new UserError(`${wasmName}: not a cocodiff recognizer: its export "${name}" is not a ${key === 'memory' ? 'memory' : 'function'}`);
      bound[key] = exported[name];
    }
    // After dispose() a threaded module's workers are gone, and an inference would wait for them for ever.
    for (const key of ['infer', 'classifySequence', 'inferInput'] as const) {
      const run = bound[key] as (...args: number[]) => number;
      bound[key] = (...args: number[]) => {
        if (this.disposed) throw new UserError(`${wasmName}: this recognizer was disposed; load it again`);
        return run(...args);
      };
    }
    this.x = bound as Exports;
    const K = this.x.numClasses();
    if (!(Number.isInteger(K) && K >= 1)) throw new UserError(`${wasmName}: not a usable recognizer: it reports ${K} classes`);
    const modality = MODALITY_BY_CODE[this.x.modality()];
    if (modality === undefined) throw new UserError(`${wasmName}: not a usable recognizer: modality code ${this.x.modality()} is none this host knows (${Object.keys(MODALITY_CODES).join(', ')})`);
    const labels = sidecar?.classes ?? Array.from({ length: K }, (_, k) => `class ${k}`);
    if (labels.length !== K) throw new UserError(`the sidecar lists ${labels.length} classes, the .wasm has ${K}: they do not belong together`);
    const layout = sidecar?.layout ?? null;
    const joints = this.x.numJoints();
    if (layout && LAYOUTS[layout]?.joints.length !== joints) throw new UserError(`the sidecar's layout ${layout} does not have the .wasm's ${joints} joints`);
    this.info = {
      labels,
      layout,
      joints,
      persons: this.x.numPersons(),
      coords: this.x.numCoords(),
      features: this.x.numFeatures(),
      modelFrames: this.x.modelFrames(),
      windowFrames: this.x.windowFrames(),
      sequenceCapacity: this.x.sequenceCapacity(),
      modality,
      memoryBytes: this.x.memoryBytes(),
      int8: Boolean(sidecar && 'int8' in sidecar && sidecar.int8),
      threads: pool?.threads ?? 1,
    };
    if (!(Number.isInteger(this.info.features) && this.info.features >= 1)) throw new UserError(`${wasmName}: not a usable recognizer: it reports ${this.info.features} features`);
    this.identity = { wasmSha256: sidecar?.wasmSha256 ?? null, classes: labels, features: this.info.features };
    this.configure(opts);
  }

  /** Loads a recognizer from bytes, a file path (Node), or a URL (fetch; file: URLs in Node). */
  static async load(source: RecognizerSource, opts: LoadOptions = {}): Promise<Recognizer> {
    const { module, sidecar, wasmName } = await openRecognizer(source, opts);
    const threads = threadsOf(module, sidecar, wasmName);
    if (threads) {
      const pool = await startThreads(module, threads, wasmName);
      try {
        return new Recognizer(pool.instance, sidecar, opts, wasmName, pool);
      } catch (err) {
        pool.stop();
        throw err;
      }
    }
    // The module imports at most env.abort, which only a failed assertion reaches.
    const instance = await WebAssembly.instantiate(module, {
      env: { abort: () => { throw new Error('recognizer aborted (internal assertion)'); } },
    });
    return new Recognizer(instance, sidecar, opts, wasmName);
  }

  /**
   * Releases the recognizer: a threaded one's workers end (in Node they never keep the process
   * alive, but they hold memory until then). Classifying or streaming afterwards throws. Idempotent.
   */
  dispose(): void {
    this.disposed = true;
    this.pool?.stop();
  }

  /** Every class name in score order: the module's ({@link RecognizerInfo.labels}), then the taught ones. */
  get labels(): string[] {
    return [...this.info.labels, ...this.taught.map((c) => c.name)];
  }

  /** The streaming options in force. */
  get options(): Required<StreamOptions> {
    return { stride: this.stride, alpha: this.alpha, threshold: this.threshold, topK: Math.min(this.topK, this.labels.length) };
  }

  /**
   * Changes the streaming options given; the others stay as they are. A stride that is not a positive
   * integer, an alpha outside (0, 1] or a threshold outside [0, 1] is refused with a UserError.
   */
  configure(opts: StreamOptions): void {
    if (!opts || typeof opts !== 'object') throw new UserError(`options: expected an object of stride, alpha, threshold and topK, found ${describe(opts)}`);
    if (opts.stride !== undefined) {
      if (!Number.isInteger(opts.stride) || opts.stride < 1) throw new UserError(`stride must be a positive integer, found ${describe(opts.stride)}`);
      this.stride = opts.stride;
    }
    if (opts.alpha !== undefined) {
      // typeof first: `>` would coerce an object, and one without a prototype throws a TypeError.
      if (!(typeof opts.alpha === 'number' && opts.alpha > 0 && opts.alpha <= 1)) throw new UserError(`alpha must be in (0, 1], found ${describe(opts.alpha)}`);
      this.alpha = opts.alpha;
    }
    if (opts.threshold !== undefined) {
      if (!(typeof opts.threshold === 'number' && opts.threshold >= 0 && opts.threshold <= 1)) throw new UserError(`threshold must be in [0, 1], found ${describe(opts.threshold)}`);
      this.threshold = opts.threshold;
    }
    if (opts.topK !== undefined) this.topK = checkTopK(opts.topK);
  }

  /** Classifies a whole recording (its layout mapped to the model's if they differ). */
  classify(seq: Sequence, topK = this.topK): Classification {
    const { persons: M, joints: V, coords: C, sequenceCapacity } = this.info;
    checkSequence(seq);
    topK = checkTopK(topK);
    if (seq.coords !== C) throw new UserError(`${seq.name ?? 'sequence'}: ${seq.coords} coordinates per joint, the recognizer expects ${C}`);
    const frames = this.framesFor(seq);
    // Frames without a person change nothing (preprocessing drops them): compact long recordings.
    let used = frames.length;
    if (used > sequenceCapacity) {
      let kept = 0;
      for (const f of frames) if (f.some((x) => x !== 0)) frames[kept++] = f;
      used = kept;
    }
    if (used > sequenceCapacity) throw new UserError(`${seq.name ?? 'sequence'}: ${used} frames with a person; this recognizer takes at most ${sequenceCapacity} (compile with a larger sequence capacity)`);
    const noValidFrame = `${seq.name ?? seq.source ?? 'sequence'}: no valid frame (every person slot of every frame is all zeros or not finite)`;
    if (used === 0) throw new UserError(noValidFrame);
    const buf = this.f32(this.x.sequencePtr(), used * M * V * C);
    for (let f = 0; f < used; f++) buf.set(frames[f], f * M * V * C);
    const start = performance.now();
    const status = this.x.classifySequence(used);
    const latencyMs = performance.now() - start;
    if (status === STATUS.empty) throw new UserError(noValidFrame);
    if (status !== STATUS.ok) throw new Error(`classify_sequence returned status ${status}`);
    const probs = this.probsNow().slice();
    if (firstBadCoordinate(probs) >= 0) throw new UserError(`${seq.name ?? seq.source ?? 'sequence'}: the recognizer computed non-finite scores`);
    let rejectedFrames = 0;
    for (let f = 0; f < used; f++) if (firstBadCoordinate(frames[f]) >= 0) rejectedFrames++;
    return { top: this.topOf(probs, topK), probs, latencyMs, rejectedFrames };
  }

  /**
   * Streams one camera frame: a Float32Array / number[] of persons × joints × coords (any number of
   * persons; the first M are kept), or a list of bodies (see adapters.ts) in `source` layout.
   * Returns a prediction every `stride` accepted frames, else null. A frame with NaN, infinite or
   * absurd (beyond ±MAX_COORDINATE) values is dropped and counted (`stats().rejected`), never thrown.
   * A frame of the wrong shape or with values that are not numbers ("0.5", true, [x, y] joints for
   * x y z) is refused with a UserError saying what is wrong, and counted as rejected too.
   */
  push(frame: ArrayLike<number> | ArrayLike<Body>, source?: LayoutName): Prediction | null {
    try {
      this.writeFrame(frame, source);
    } catch (err) {
      this.refused++;
      throw err;
    }
    if (this.x.pushFrame() !== STATUS.ok) return null;
    this.accepted++;
    return this.accepted % this.stride === 0 ? this.predict() : null;
  }

  /** Writes one frame into the module's frame buffer, or throws a UserError saying why it cannot. */
  private writeFrame(frame: ArrayLike<number> | ArrayLike<Body>, source?: LayoutName): void {
    const { persons: M, joints: V, coords: C } = this.info;
    if (!frame || typeof frame !== 'object' || typeof frame.length !== 'number') throw new UserError(`frame: expected a list of bodies or of numbers, found ${describe(frame)}`);
    if (source !== undefined && !isLayoutName(source)) throw new UserError(`frame layout: expected one of ${LAYOUT_LIST}, found ${describe(source)}`);
    const buf = this.f32(this.x.framePtr(), M * V * C);
    if (frame.length === 0 || typeof frame[0] === 'number') {
      const flat = frame as ArrayLike<number>;
      if (source && source !== this.info.layout) {
        frameFromBodies(splitPersons(flat, LAYOUTS[source].joints.length * C), this.shape(), source, buf);
      } else {
        if (flat.length % (V * C) !== 0) throw new UserError(`frame of ${flat.length} values: expected persons × ${V} joints × ${C} coordinates`);
        buf.fill(0);
        const n = Math.min(flat.length, M * V * C);
        if (flat instanceof Float32Array) buf.set(flat.subarray(0, n));
        else {
          for (let i = 0; i < n; i++) {
            if (typeof flat[i] !== 'number') throw new UserError(`frame value ${i}: expected a number, found ${describe(flat[i])}`);
            buf[i] = flat[i];
          }
        }
      }
    } else {
      frameFromBodies(frame as ArrayLike<Body>, this.shape(), source, buf);
    }
  }

  /** Runs the window now, whatever the stride. */
  predict(): Prediction {
    const K = this.labels.length;
    const start = performance.now();
    const status = this.x.infer();
    const latencyMs = performance.now() - start;
    const validFrames = this.x.validFrames();
    if (status === STATUS.empty) {
      return { frame: this.accepted, action: null, top: [], probs: this.smoothed?.slice() ?? new Float32Array(K), latencyMs, validFrames };
    }
    const p = this.probsNow();
    // Non-finite scores never enter the smoothing state: (1 − α)·NaN would stay NaN for good.
    const first = this.smoothed === null;
    const state = this.smoothed ?? new Float32Array(K);
    if (!smoothInto(state, p, first ? 1 : this.alpha)) {
      return { frame: this.accepted, action: null, top: [], probs: state.slice(), latencyMs, validFrames };
    }
    this.smoothed = state;
    const top = this.topOf(this.smoothed, this.topK);
    const action = top[0].score >= this.threshold ? top[0].label : null;
    return { frame: this.accepted, action, top, probs: this.smoothed.slice(), latencyMs, validFrames };
  }

  /** Empties the ring, the counters and the smoothing. */
  reset(): void {
    this.x.reset();
    this.accepted = 0;
    this.refused = 0;
    this.smoothed = null;
  }

  /** The stream's counters since the last reset, and the module's memory. */
  stats(): {
    /** Every push() call. */
    pushed: number;
    /** Frames dropped as broken (NaN, infinite, beyond ±MAX_COORDINATE) or refused (wrong shape or types), none of which reached the window. */
    rejected: number;
    /** Frames of the window that hold a person. */
    validFrames: number;
    /** The module's linear memory, in bytes. */
    memoryBytes: number;
  } {
    return {
      pushed: this.x.framesPushed() + this.refused,
      rejected: this.x.framesRejected() + this.refused,
      validFrames: this.x.validFrames(),
      memoryBytes: this.x.memory.buffer.byteLength,
    };
  }

  /**
   * Teaches a new gesture from a few recordings of it (one works, five are better; see the measured
   * table in docs/runtime.md): each recording runs through the module, and a small head fitted over
   * the frozen backbone's pooled features adds the class after the module's. From then on
   * {@link classify}, {@link push} and {@link predict} score it with the others (the streaming
   * smoothing restarts). {@link learnedFile} saves the taught classes; {@link useLearned} loads them.
   * A name that is empty or already a class, no recordings, or a recording the recognizer cannot
   * take (wrong joints, nobody in it) is refused with a UserError naming it.
   */
  learn(name: string, recordings: readonly Sequence[], opts: LearnOptions = {}): LearnedClass {
    const start = performance.now();
    const what = `learn(${describe(name)})`;
    if (typeof name !== 'string' || name.trim() === '') throw new UserError(`learn: name: expected a non-empty string, found ${describe(name)}`);
    if (this.labels.includes(name)) {
      const whose = this.info.labels.includes(name) ? "one of the recognizer's own classes" : 'a class taught already (forget it first to teach it again)';
      throw new UserError(`${what}: name: ${describe(name)} is ${whose}; choose another name`);
    }
    if (!Array.isArray(recordings)) throw new UserError(`${what}: recordings: expected a list of recordings (Sequence objects), found ${describe(recordings)}`);
    if (recordings.length < 1) throw new UserError(`${what}: recordings: expected at least 1 recording of the gesture (5 teach it better), found none`);
    const method = this.checkMethod(opts, what);
    const K = this.info.labels.length;
    const features: Float32Array[] = [];
    const logits: Float32Array[] = [];
    recordings.forEach((rec, i) => {
      try {
        this.classify(rec, 1);
      } catch (err) {
        if (err instanceof UserError) throw new UserError(`${what}: recording ${i}: ${err.message}`);
        throw err;
      }
      const feature = this.lastFeature();
      if (firstBadCoordinate(feature) >= 0) throw new UserError(`${what}: recording ${i}: the recognizer computed a non-finite feature`);
      features.push(feature);
      logits.push(this.lastLogits());
    });
    this.setTaught([...this.taught, { name, features, logits }], method);
    return { name, index: K + this.taught.length - 1, recordings: recordings.length, milliseconds: performance.now() - start };
  }

  /** Removes a taught class (the module's own classes cannot be forgotten); the others are refitted. */
  forget(name: string): void {
    const at = this.taught.findIndex((c) => c.name === name);
    if (at < 0) {
      const known = this.taught.length ? `taught: ${this.taught.map((c) => JSON.stringify(c.name)).join(', ')}` : 'none is taught';
      const own = typeof name === 'string' && this.info.labels.includes(name) ? " (it is one of the recognizer's own classes, which cannot be forgotten)" : '';
      throw new UserError(`forget: ${describe(name)} is not a taught class${own}; ${known}`);
    }
    this.setTaught(this.taught.filter((_, j) => j !== at), this.method);
  }

  /** The taught classes as a {@link LearnedFile} (JSON-ready), tied to this recognizer: save it, and give it to {@link useLearned} later. */
  learnedFile(): LearnedFile {
    return toLearnedFile(this.method, this.identity, this.taught);
  }

  /**
   * Replaces the taught classes with those of a file {@link learnedFile} made: its JSON text or the
   * parsed object; `where` names it in messages. A file that is damaged, of another version, or
   * taught over another recognizer is refused with a UserError naming the field, and nothing changes.
   */
  useLearned(file: LearnedFile | string, where = 'the learned classes'): void {
    const { method, taught } = readLearnedFile(file, where, this.identity);
    this.setTaught(taught, method);
  }

  private checkMethod(opts: LearnOptions, what: string): HeadMethod {
    if (!opts || typeof opts !== 'object') throw new UserError(`${what}: options: expected an object, found ${describe(opts)}`);
    const method = opts.method ?? this.method;
    if (!HEAD_METHODS.includes(method)) throw new UserError(`${what}: method: expected one of ${HEAD_METHODS.join(', ')}, found ${describe(method)}`);
    return method;
  }

  private setTaught(taught: TaughtClass[], method: HeadMethod): void {
    this.head = taught.length ? fitHead(method, taught) : null;
    this.taught = taught;
    this.method = method;
    // The probability vector changes length: smoothing starts again.
    this.smoothed = null;
  }

  /** The last inference's probabilities over every class: the module's softmax, or with taught classes the joint softmax. */
  private probsNow(): Float32Array {
    const K = this.info.labels.length;
    if (!this.head) return this.f32(this.x.probsPtr(), K);
    const z = new Float32Array(K + this.taught.length);
    this.head.scores(this.f32(this.x.featurePtr(), this.info.features), this.f32(this.x.logitsPtr(), K), z);
    return softmaxInto(z, new Float32Array(z.length));
  }

  /** The backbone's pooled feature [D] of the last inference (a copy): the vector the module's classifier read. */
  lastFeature(): Float32Array {
    return this.f32(this.x.featurePtr(), this.info.features).slice();
  }

  /** The module's own logits [K] of the last inference (a copy), before any taught class. */
  lastLogits(): Float32Array {
    return this.f32(this.x.logitsPtr(), this.info.labels.length).slice();
  }

  /** The network input [C][T][V][M] the last inference used (a copy): for parity checks. */
  lastInput(): Float32Array {
    const { coords: C, modelFrames: T, joints: V, persons: M } = this.info;
    return this.f32(this.x.inputPtr(), C * T * V * M).slice();
  }

  /** Runs the network alone on a preprocessed input [C][T][V][M]; returns the module's probabilities (no taught class). */
  inferInput(input: Float32Array): Float32Array {
    const { coords: C, modelFrames: T, joints: V, persons: M } = this.info;
    if (!(input instanceof Float32Array)) throw new UserError(`input: expected a Float32Array, found ${describe(input)}`);
    if (input.length !== C * T * V * M) throw new UserError(`input of ${input.length} values, expected ${C}×${T}×${V}×${M}`);
    // The network has no notion of a broken value: NaN or 3e38 in, NaN or worse a finite guess out.
    const bad = firstBadCoordinate(input);
    if (bad >= 0) throw new UserError(`input value ${bad}: ${input[bad]} is not a coordinate (network input must be finite and within ±${MAX_COORDINATE})`);
    this.f32(this.x.inputPtr(), input.length).set(input);
    this.x.inferInput();
    return this.f32(this.x.probsPtr(), this.info.labels.length).slice();
  }

  private shape() {
    const layout = this.info.layout ?? layoutForJoints(this.info.joints, null, 'the recognizer (loaded without a sidecar naming its layout)').name;
    return { layout, persons: this.info.persons, joints: this.info.joints, coords: this.info.coords };
  }

  /** The recording's frames as [M][V][C] arrays in the model's layout, persons cut or padded. */
  private framesFor(seq: Sequence): Float32Array[] {
    const { persons: M, joints: V, coords: C } = this.info;
    const from = LAYOUTS[seq.layout];
    const to = this.info.layout ? LAYOUTS[this.info.layout] : from;
    if (from.name === to.name && seq.joints !== V) throw new UserError(`${seq.name ?? 'sequence'}: ${seq.joints} joints, the recognizer expects ${V} (${to.name})`);
    // Checked once here, so the refusal names the recording (mapBody, per frame, cannot).
    if (from.name !== to.name) {
      try {
        jointCorrespondence(from, to);
      } catch (err) {
        throw err instanceof UserError ? new UserError(`${seq.name ?? 'sequence'}: ${err.message}`) : err;
      }
    }
    const srcPerson = seq.joints * C;
    const out: Float32Array[] = [];
    for (let f = 0; f < seq.frames; f++) {
      const frame = new Float32Array(M * V * C);
      for (let m = 0; m < Math.min(M, seq.persons); m++) {
        const at = (f * seq.persons + m) * srcPerson;
        frame.set(mapBody(seq.data.subarray(at, at + srcPerson), from, to, C), m * V * C);
      }
      out.push(frame);
    }
    return out;
  }

  private topOf(probs: Float32Array, k: number): ClassScore[] {
    const labels = this.labels;
    return Array.from(probs, (score, index) => ({ index, label: labels[index], score }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }

  /** A view of the module's memory (recreated per call: cheap, and never stale). */
  private f32(ptr: number, length: number): Float32Array {
    const bytes = this.x.memory.buffer.byteLength;
    if (!(Number.isInteger(ptr) && ptr >= 0 && ptr % 4 === 0 && ptr + 4 * length <= bytes)) {
      throw new UserError(`the recognizer gave a buffer at ${ptr} of ${length} floats, outside its ${bytes}-byte memory: the .wasm is damaged or not a cocodiff recognizer`);
    }
    return new Float32Array(this.x.memory.buffer, ptr, length);
  }
}

/**
 * s ← α·p + (1 − α)·s, unless p holds a non-finite score: then s is left as it was and false is
 * returned. (α = 1 on the first prediction: s starts as p.)
 */
export function smoothInto(s: Float32Array, p: ArrayLike<number>, alpha: number): boolean {
  for (let k = 0; k < p.length; k++) if (!Number.isFinite(p[k])) return false;
  for (let k = 0; k < p.length; k++) s[k] = alpha * p[k] + (1 - alpha) * s[k];
  return true;
}

/** A value for an error message: short, and never a raw control character. */
function describe(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' && v !== null ? (Array.isArray(v) ? `a list of ${v.length}` : 'an object') : String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A recording given to `classify`: a shape that holds together, checked before any of it is read. */
function checkSequence(seq: Sequence): void {
  if (!seq || typeof seq !== 'object') throw new UserError(`sequence: expected a Sequence object, found ${describe(seq)}`);
  const name = seq.name ?? 'sequence';
  if (!isLayoutName(seq.layout)) throw new UserError(`${name}: field "layout": expected one of ${LAYOUT_LIST}, found ${describe(seq.layout)}`);
  for (const field of ['frames', 'persons', 'joints', 'coords'] as const) {
    if (!(Number.isInteger(seq[field]) && seq[field] >= 1)) throw new UserError(`${name}: field "${field}": expected a positive integer, found ${describe(seq[field])}`);
  }
  if (!(seq.data instanceof Float32Array)) throw new UserError(`${name}: field "data": expected a Float32Array, found ${describe(seq.data)}`);
  const want = seq.frames * seq.persons * seq.joints * seq.coords;
  if (seq.data.length !== want) {
    throw new UserError(`${name}: field "data" holds ${seq.data.length} values, but frames × persons × joints × coords = ${seq.frames} × ${seq.persons} × ${seq.joints} × ${seq.coords} = ${want}`);
  }
}

/** A topK is a positive integer; top lists hold min(topK, classes), taught classes included. */
function checkTopK(topK: number): number {
  if (!(Number.isInteger(topK) && topK >= 1)) throw new UserError(`topK must be a positive integer, found ${describe(topK)}`);
  return topK;
}

function splitPersons(flat: ArrayLike<number>, person: number): Float32Array[] {
  if (flat.length % person !== 0) throw new UserError(`frame of ${flat.length} values: expected a multiple of ${person} (joints × coordinates of one person)`);
  const out: Float32Array[] = [];
  for (let at = 0; at < flat.length; at += person) out.push(Float32Array.from({ length: person }, (_, i) => flat[at + i]));
  return out;
}
