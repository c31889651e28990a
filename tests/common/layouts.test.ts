import { describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { COCO17, FLORENCE15, KINECT20, LAYOUTS, MSR20, NTU25, OPENPOSE18, jointCorrespondence, jointCounts, layoutByName, layoutForJoints, spatialAdjacency } from 'cocodiff-runtime/shared/layouts';

describe('joint layouts', () => {
  it.each(Object.values(LAYOUTS))('$name is a tree rooted at one joint, every joint reaching the root', (layout) => {
    const V = layout.joints.length;
    expect(layout.parents).toHaveLength(V);
    const roots = layout.parents.filter((p, v) => p === v);
    expect(roots).toHaveLength(1);
    for (let v = 0; v < V; v++) {
      let u = v;
      for (let hops = 0; layout.parents[u] !== u; hops++) {
        expect(hops).toBeLessThan(V);
        u = layout.parents[u];
      }
    }
    expect(layout.bones).toHaveLength(V - 1);
    for (const [c, p] of layout.bones) expect(layout.parents[c]).toBe(p);
    expect(layout.centre).toBeGreaterThanOrEqual(0);
    expect(layout.centre).toBeLessThan(V);
    expect(new Set(layout.joints).size).toBe(V);
    // A midpoint names a joint of this layout made from two others of it (other layouts lack the first).
    for (const [joint, pair] of Object.entries(layout.midpoints)) {
      for (const name of [joint, ...pair]) expect(layout.joints).toContain(name);
    }
  });

  it('NTU-25 follows the published numbering: centre is joint 2 (spine middle), the bone root is joint 21', () => {
    expect(NTU25.joints).toHaveLength(25);
    expect(NTU25.joints[NTU25.centre]).toBe('spine_mid');
    expect(NTU25.parents[20]).toBe(20);
    // CTR-GCN's ntu_pairs: (23, 8) and (25, 12): thumbs hang off the hands.
    expect(NTU25.parents[22]).toBe(7);
    expect(NTU25.parents[24]).toBe(11);
  });

  it('OpenPose-18 and COCO-17 have the sizes the pose estimators emit', () => {
    expect(OPENPOSE18.joints).toHaveLength(18);
    expect(COCO17.joints).toHaveLength(17);
    expect(layoutByName('coco17')).toBe(COCO17);
    expect(() => layoutByName('kinect')).toThrow(/unknown joint layout "kinect"/);
  });

  it('layoutForJoints: the hint when it has V joints, else the layout that has; refusals name every layout', () => {
    expect(layoutForJoints(18)).toBe(OPENPOSE18);
    expect(layoutForJoints(25, 'ntu25')).toBe(NTU25);
    expect(layoutForJoints(17, 'ntu25')).toBe(COCO17);
    const counts = 'ntu25: 25, openpose18: 18, coco17: 17, kinect20: 20, msr20: 20, florence15: 15';
    expect(jointCounts()).toBe(counts);
    expect(() => layoutForJoints(19, null, 'x.npy')).toThrow(new UserError(`x.npy: no joint layout has 19 joints per person (${counts})`));
    // 20 joints are Kinect v1 in two orders: only a name decides.
    expect(() => layoutForJoints(20, null, 'x.npy')).toThrow(new UserError('x.npy: 20 joints per person fit more than one joint layout (kinect20, msr20), and none was named'));
    expect(layoutForJoints(20, 'msr20')).toBe(MSR20);
    expect(layoutForJoints(15)).toBe(FLORENCE15);
  });

  it('Kinect v1 (NW-UCLA) follows CTR-GCN\'s graph/ucla.py: bone root joint 3 (shoulder centre), centre joint 2 as the authors\' feeder', () => {
    const oneBased = KINECT20.bones.map(([c, p]) => [c + 1, p + 1]);
    expect(oneBased).toEqual([[1, 2], [2, 3], [4, 3], [5, 3], [6, 5], [7, 6], [8, 7], [9, 3], [10, 9], [11, 10], [12, 11],
      [13, 1], [14, 13], [15, 14], [16, 15], [17, 1], [18, 17], [19, 18], [20, 19]]);
    expect(KINECT20.joints[KINECT20.parents.findIndex((p, v) => p === v)]).toBe('spine_shoulder');
    expect(KINECT20.centre).toBe(1);
  });

  it('MSR Action3D is the same Kinect v1 body in its body_model.mat order (1-based: left hip 5, hip centre 7, left wrist 10, head 20)', () => {
    const at = (n: number) => MSR20.joints[n - 1];
    expect([at(5), at(6), at(7), at(10), at(11), at(16), at(17), at(20)])
      .toEqual(['left_hip', 'right_hip', 'spine_base', 'left_wrist', 'right_wrist', 'left_ankle', 'right_ankle', 'head']);
    expect(MSR20.joints[MSR20.parents.findIndex((p, v) => p === v)]).toBe('spine_base');
    expect([...MSR20.joints].sort()).toEqual([...KINECT20.joints].sort());
    // Between the two orders, every joint is copied: a permutation, both ways.
    const toKinect = jointCorrespondence(MSR20, KINECT20);
    expect(toKinect.map((s) => ('copy' in s ? MSR20.joints[s.copy] : null))).toEqual(KINECT20.joints);
    expect(new Set(toKinect.map((s) => ('copy' in s ? s.copy : -1))).size).toBe(20);
    expect(MSR20.joints[MSR20.centre]).toBe(KINECT20.joints[KINECT20.centre]);
  });

  it('NTU (Kinect v2) bodies map to Kinect v1 and Florence models; the reverse is refused by the joints v1 lacks', () => {
    expect(jointCorrespondence(NTU25, KINECT20)).toEqual(KINECT20.joints.map((name) => ({ copy: NTU25.joints.indexOf(name) })));
    expect(jointCorrespondence(NTU25, FLORENCE15)).toEqual(FLORENCE15.joints.map((name) => ({ copy: NTU25.joints.indexOf(name) })));
    expect(jointCorrespondence(KINECT20, FLORENCE15)).toHaveLength(15);
    expect(() => jointCorrespondence(KINECT20, NTU25)).toThrow(new UserError(
      'cannot map kinect20 joints to a model trained on ntu25: kinect20 has no neck, left_hand_tip, left_thumb, right_hand_tip, right_thumb; use a model trained on kinect20'));
    expect(() => jointCorrespondence(FLORENCE15, KINECT20)).toThrow(/^cannot map florence15 joints to a model trained on kinect20: florence15 has no spine_base, left_wrist, right_wrist, left_ankle, right_ankle;/);
  });

  it('joints correspond by name, plus midpoints; 2-D ↔ 3-D and joints the source lacks are refused', () => {
    const neck = OPENPOSE18.joints.indexOf('neck');
    const toOpenPose = jointCorrespondence(COCO17, OPENPOSE18);
    expect(toOpenPose[neck]).toEqual({ midpoint: [COCO17.joints.indexOf('left_shoulder'), COCO17.joints.indexOf('right_shoulder')] });
    expect(toOpenPose[OPENPOSE18.joints.indexOf('left_ear')]).toEqual({ copy: COCO17.joints.indexOf('left_ear') });
    expect(jointCorrespondence(OPENPOSE18, COCO17)).toEqual(COCO17.joints.map((name) => ({ copy: OPENPOSE18.joints.indexOf(name) })));
    expect(() => jointCorrespondence(NTU25, COCO17)).toThrow(new UserError('cannot map ntu25 joints to a model trained on coco17: 3D depth-camera joints and 2D keypoints are different signals; use a model trained on ntu25'));
    const earless = { ...OPENPOSE18, joints: OPENPOSE18.joints.map((n) => (n.endsWith('_ear') ? `${n}_lobe` : n)) };
    expect(() => jointCorrespondence(earless, COCO17)).toThrow(/^cannot map openpose18 joints to a model trained on coco17: openpose18 has no left_ear, right_ear; /);
  });

  it('the spatial adjacency is [I, inward, outward] with columns normalised to 1', () => {
    const V = 25;
    const [I, inward, outward] = spatialAdjacency(NTU25);
    for (let v = 0; v < V; v++) expect(I[v * V + v]).toBe(1);
    // Edge 1→2 (0-based 0→1) is inward: A[1][0] = 1 / (in-degree column sum of column 0) = 1.
    expect(inward[1 * V + 0]).toBeCloseTo(1);
    // Column sums of a normalised matrix are 1 where the column has any edge, else 0.
    for (const A of [inward, outward]) {
      for (let col = 0; col < V; col++) {
        let s = 0;
        for (let row = 0; row < V; row++) s += A[row * V + col];
        expect([0, 1].some((x) => Math.abs(s - x) < 1e-6)).toBe(true);
      }
    }
    // Joint 21 (index 20) has 4 children pointing to it outward: column 20 of outward sums over them.
    expect(outward[0 * V + 20]).toBe(0);
    expect(outward[2 * V + 20]).toBeCloseTo(1 / 4);
  });
});
