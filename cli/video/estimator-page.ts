/**
 * The page in which `cocodiff video` runs BlazePose: MediaPipe's `@mediapipe/pose` solution, the same
 * code and weights a web page runs, loaded from the npm package (cli/video/blazepose.ts serves its
 * files; nothing comes from the network). Node drives it with two calls:
 *
 *   await estimator.open({modelComplexity, ...})   loads the wasm and the chosen model
 *   await estimator.estimate(width, height, t)     fetches the current frame's RGB bytes from /frame,
 *                                                  runs the pose graph at time t (ms) and returns its
 *                                                  33 landmarks ({x, y, z, visibility}, x and y
 *                                                  normalised to the image) or null when nobody is found
 *   await estimator.run(picture, t)                the same on a canvas, image or video element of the page
 *
 * Kept as text rather than as functions passed to page.evaluate: a TypeScript loader may wrap
 * functions in helpers (esbuild's `__name`) that do not exist in the page.
 */

/** The origin the page is served from; every request to another is refused, so the estimator runs offline. */
export const PAGE_ORIGIN = 'http://cocodiff-video.invalid';

/** Where the page finds the `@mediapipe/pose` package's files (served from node_modules). */
export const POSE_FILES_PATH = '/pose/';

/** Where the page fetches the frame Node is working on. */
export const FRAME_PATH = '/frame';

export const ESTIMATOR_PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>cocodiff video: BlazePose</title></head>
<body>
<canvas id="frame"></canvas>
<script src="${POSE_FILES_PATH}pose.js"></script>
<script>
'use strict';
let pose = null;
let latest = null;
const canvas = document.getElementById('frame');
const context = canvas.getContext('2d');
window.estimator = {
  async open(options) {
    pose = new Pose({ locateFile: (file) => '${POSE_FILES_PATH}' + file });
    pose.setOptions(options);
    pose.onResults((results) => { latest = results.poseLandmarks ?? null; });
    await pose.initialize();
    // The graph loads its model on the first frame: a blank one here, so that the first real
    // frame's time is like the others'; reset() then forgets it (no tracking state carries over).
    canvas.width = 64; canvas.height = 64;
    await pose.send({ image: canvas }, 0);
    pose.reset();
    return true;
  },
  async estimate(width, height, t) {
    const rgb = new Uint8Array(await (await fetch('${FRAME_PATH}')).arrayBuffer());
    if (rgb.length !== width * height * 3) throw new Error('frame of ' + rgb.length + ' bytes, expected ' + width * height * 3);
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const image = context.createImageData(width, height);
    const rgba = image.data;
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      rgba[j] = rgb[i]; rgba[j + 1] = rgb[i + 1]; rgba[j + 2] = rgb[i + 2]; rgba[j + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    return this.run(canvas, t);
  },
  // BlazePose on any picture a canvas can draw (the tests give it a <video> the page decodes itself).
  async run(picture, t) {
    latest = null;
    // Timestamps must grow within the graph: frames come 1 ms after the blank one sent at 0.
    await pose.send({ image: picture }, t + 1);
    return latest && latest.map((l) => ({ x: l.x, y: l.y, z: l.z, visibility: l.visibility }));
  },
};
</script>
</body></html>
`;
