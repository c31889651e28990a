// Writes the hostile and careless inputs of the probe sweep (probes.sh) into the current folder.
//   node make-fixtures.mjs REPO   (REPO: this checkout, for its real PyTorch fixture)
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
const w = (p, d) => writeFileSync(p, d);

function zip(members, opts = {}) {
  const parts = [], central = []; let offset = 0;
  members.forEach(([name, data, deflate]) => {
    const n = Buffer.from(name);
    const body = deflate ? deflateRawSync(data) : data;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(data), 14); local.writeUInt32LE(body.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(n.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(deflate ? 8 : 0, 10);
    cd.writeUInt32LE(crc32(data), 16); cd.writeUInt32LE(body.length, 20); cd.writeUInt32LE(data.length, 24); cd.writeUInt16LE(n.length, 28); cd.writeUInt32LE(offset, 42);
    central.push(cd, n); parts.push(local, n, body); offset += 30 + n.length + body.length;
  });
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.count ?? members.length, 8); eocd.writeUInt16LE(opts.count ?? members.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12); eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, eocd]);
}
function npy(descr, shape, data, fortran = false, rawHeader) {
  let h = rawHeader ?? `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = 64 - ((10 + h.length + 1) % 64);
  h = h + ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10); Buffer.from('\x93NUMPY', 'latin1').copy(head); head[6] = 1; head[7] = 0; head.writeUInt16LE(h.length, 8);
  return Buffer.concat([head, Buffer.from(h, 'latin1'), Buffer.from(data.buffer ?? data)]);
}
const f32 = (n, fill = 0.1) => new Float32Array(n).fill(fill);

// --- pickles in a torch-style zip
const pk = (s) => Buffer.from(s, 'latin1');
const ptz = (pkl) => zip([['archive/data.pkl', pkl], ['archive/version', Buffer.from('3\n')]]);
w('pt-empty.pt', Buffer.alloc(0));
const good = readFileSync(process.argv[2] + '/tests/fixtures/pytorch/state-dict.pt');
w('pt-truncated.pt', good.subarray(0, good.length >> 1));
w('pt-garbage-pickle.pt', ptz(Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 73 + 11) & 255))));
// 1e6 nested empty lists: EMPTY_LIST MARK ... -> deep nesting via APPEND chains
w('pt-deep-nesting.pt', ptz(Buffer.concat([pk('\x80\x02'), Buffer.alloc(1_000_000, 0x5d) /* EMPTY_LIST */, Buffer.alloc(999_999, 0x61) /* APPEND */, pk('.')])));
// a memo index of 2^31-1 (LONG_BINPUT)
w('pt-memo-huge.pt', ptz(pk('\x80\x02]r\xff\xff\xff\x7f.')));
// 10 MB of MARKs: the mark stack
w('pt-many-marks.pt', ptz(Buffer.concat([pk('\x80\x02'), Buffer.alloc(5_000_000, 0x28), pk('.')])));
// BINUNICODE of 2^31-1 length
w('pt-unicode-long.pt', ptz(pk('\x80\x02X\xff\xff\xff\x7f.')));
// a pickle whose result is not a dict (an integer)
w('pt-not-dict.pt', ptz(pk('\x80\x02K\x05.')));
// a dict with a non-tensor value under a weight name
w('pt-dict-of-strings.pt', ptz(pk('\x80\x02}X\x03\x00\x00\x00fc.X\x03\x00\x00\x00abcs.')));
// EOCD claims 65535 members but there are 2
w('pt-count-lie.pt', zip([['archive/data.pkl', pk('\x80\x02K\x05.')], ['archive/version', Buffer.from('3\n')]], { count: 65535 }));
// zip member name traversal
w('pt-traversal.pt', zip([['../../../../tmp/evil/data.pkl', pk('\x80\x02}.')], ['../../../../tmp/evil/version', Buffer.from('3\n')]]));
// no zip at all: random bytes
w('pt-random.pt', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24)));
// a pickle that is all STOP-less: ends without '.'
w('pt-no-stop.pt', ptz(pk('\x80\x02}')));
// deflated bomb pickle: 200 MB of zeros compressed
w('pt-deflate-bomb.pt', zip([['archive/data.pkl', Buffer.alloc(200 << 20), true], ['archive/version', Buffer.from('3\n')]]));

// --- npz
const X = (n) => npy('<f4', [n, 300, 150], f32(n * 300 * 150));
const Y = (n, k = 3) => { const a = new Float32Array(n * k); for (let i = 0; i < n; i++) a[i * k + (i % k)] = 1; return npy('<f4', [n, k], a); };
w('npz-empty.npz', Buffer.alloc(0));
w('npz-no-members.npz', zip([]));
w('npz-huge-shape.npz', zip([['x_train.npy', npy('<f4', [1_000_000_000, 300, 150], f32(10))], ['y_train.npy', Y(2)], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));
w('npz-fortran.npz', zip([['x_train.npy', npy('<f4', [2, 300, 150], f32(2 * 300 * 150), true)], ['y_train.npy', Y(2)], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));
w('npz-object.npz', zip([['x_train.npy', npy('|O', [2, 300, 150], Buffer.alloc(100))], ['y_train.npy', Y(2)], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));
w('npz-label-mismatch.npz', zip([['x_train.npy', X(2)], ['y_train.npy', Y(3)], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));
w('npz-zero-onehot.npz', zip([['x_train.npy', X(2)], ['y_train.npy', npy('<f4', [2, 3], new Float32Array(6))], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));
w('npz-header-garbage.npz', zip([['x_train.npy', npy(null, null, f32(10), false, "{'descr': lambda: 0, 'shape': (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1,)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))), }")], ['y_train.npy', Y(2)], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));
w('npz-nan.npz', zip([['x_train.npy', npy('<f4', [2, 300, 150], f32(2 * 300 * 150, NaN))], ['y_train.npy', Y(2)], ['x_test.npy', X(2)], ['y_test.npy', Y(2)]]));

// --- .npy recordings
w('npy-zero-frames.npy', npy('<f4', [0, 2, 25, 3], new Float32Array(0)));
w('npy-negative-dim.npy', npy(null, null, f32(150), false, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2, 25, 3), }"));
w('npy-truncated.npy', npy('<f4', [60, 2, 25, 3], f32(100)));
w('npy-bigendian.npy', (() => { const b = Buffer.alloc(1500 * 4); for (let i = 0; i < 1500; i++) b.writeFloatBE(0.1 + (i % 75) / 100, i * 4); return npy('>f4', [10, 2, 25, 3], b); })());
w('npy-int8.npy', npy('|i1', [10, 2, 25, 3], new Int8Array(1500).fill(3)));
w('npy-6d.npy', npy('<f4', [1, 1, 10, 2, 25, 3], f32(1500)));
w('npy-wrong-joints.npy', npy('<f4', [10, 2, 17, 3], f32(10 * 2 * 17 * 3)));
w('npy-header-len-lie.npy', (() => { const b = npy('<f4', [10, 2, 25, 3], f32(1500)); b.writeUInt16LE(65535, 8); return b; })());
w('npy-huge-frames.npy', npy('<f4', [1_000_000_000, 2, 25, 3], f32(150)));
w('npy-allzero.npy', npy('<f4', [60, 2, 25, 3], new Float32Array(60 * 150)));

// --- .skeleton
const body = (k) => '72057594037931101 0 1 1 1 1 0 0.1 0.2 2\n25\n' + Array.from({ length: 25 }, (_, j) => `${0.1 * j} ${k} 3 100 100 500 500 0 0 0 1 2`).join('\n') + '\n';
w('S001C001P001R001A001-frames-lie.skeleton', '1000000000\n1\n' + body(0.5));
w('S001C001P001R001A001-bodies-lie.skeleton', '1\n1000000\n' + body(0.5));
w('S001C001P001R001A001-26joints.skeleton', '1\n1\n72057594037931101 0 1 1 1 1 0 0.1 0.2 2\n26\n' + Array.from({ length: 26 }, () => '0 0 3 0 0 0 0 0 0 0 0 2').join('\n') + '\n');
w('S001C001P001R001A001-nan.skeleton', '2\n1\n' + body('NaN') + '1\n' + body('inf'));
w('S001C001P001R001A001-binary.skeleton', Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 131 + 7) & 255)));
w('S001C001P001R001A001-empty.skeleton', '');
w('S001C001P001R001A001-utf16.skeleton', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('2\n1\n' + body(0.5) + '1\n' + body(0.6), 'utf16le')]));
w('S001C001P001R001A001-negative-frames.skeleton', '-5\n');
w('S001C001P001R001A001-hex.skeleton', '0x2\n1\n' + body(0.5) + '1\n' + body(0.6));

// --- Kinetics JSON
const pose = Array.from({ length: 36 }, (_, i) => 0.1 + i / 100), score = Array(18).fill(0.9);
const kin = (data, extra = {}) => JSON.stringify({ data, label: 'a', label_index: 0, ...extra });
w('kin-data-not-array.json', kin({ x: 1 }));
w('kin-odd-pose.json', kin([{ frame_index: 1, skeleton: [{ pose: pose.slice(0, 35), score }] }]));
w('kin-frame-index-huge.json', kin([{ frame_index: 1e9, skeleton: [{ pose, score }] }]));
w('kin-frame-index-negative.json', kin([{ frame_index: -3, skeleton: [{ pose, score }] }]));
w('kin-frame-index-fraction.json', kin([{ frame_index: 1.5, skeleton: [{ pose, score }] }]));
w('kin-proto.json', '{"__proto__": {"polluted": 1}, "data": [{"frame_index": 1, "skeleton": [{"pose": ' + JSON.stringify(pose) + ', "score": ' + JSON.stringify(score) + '}]}], "label": "a", "label_index": 0}');
w('kin-bom.json', '\ufeff' + kin([{ frame_index: 1, skeleton: [{ pose, score }] }, { frame_index: 2, skeleton: [{ pose, score }] }]));
w('kin-1000-persons.json', kin([{ frame_index: 1, skeleton: Array.from({ length: 1000 }, () => ({ pose, score })) }]));
w('kin-strings.json', kin([{ frame_index: 1, skeleton: [{ pose: pose.map(String), score }] }]));

// Kinetics root with a label file that names a video missing on disk, and a label of 1e9
mkdirSync('kroot/kinetics_train', { recursive: true }); mkdirSync('kroot/kinetics_val', { recursive: true });
w('kroot/kinetics_train/v1.json', kin([{ frame_index: 1, skeleton: [{ pose, score }] }, { frame_index: 2, skeleton: [{ pose, score }] }]));
w('kroot/kinetics_val/v2.json', kin([{ frame_index: 1, skeleton: [{ pose, score }] }, { frame_index: 2, skeleton: [{ pose, score }] }]));
w('kroot/kinetics_train_label.json', JSON.stringify({ v1: { has_skeleton: true, label: 'a', label_index: 1e9 }, ghost: { has_skeleton: true, label: 'b', label_index: 1 } }));
w('kroot/kinetics_val_label.json', JSON.stringify({ v2: { has_skeleton: true, label: 'a', label_index: 0 } }));
