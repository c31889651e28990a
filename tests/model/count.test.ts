/** Size and cost against the published figures, and the analytic count against the built model. */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../trainer/backend.ts';
import { countCost } from '../../common/model/count.ts';
import { CtrGcnModel, ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';

const NTU = { C: 3, T: 64, V: 25, M: 2 };

describe('CTR-GCN size and cost', () => {
  // The figures of README.md and docs/training.md, exactly as printed by `cocodiff model-info`.
  it('full NTU-60 model: exactly 1,446,672 parameters and 1.939 G multiply-adds', () => {
    const cost = countCost(ctrgcnConfig(), NTU, 60);
    expect(cost.params).toBe(1_446_672);
    expect((cost.macs / 1e9).toFixed(3)).toBe('1.939');
  });

  it('the small edge model (--width 0.25): exactly 115,896 parameters and 0.157 G multiply-adds', () => {
    const cost = countCost(ctrgcnConfig({ width: 0.25 }), NTU, 60);
    expect(cost.params).toBe(115_896);
    expect((cost.macs / 1e9).toFixed(3)).toBe('0.157');
  });

  it('the analytic count equals the learnable tensors of the built model', async () => {
    await selectBackend('cpu');
    for (const [backbone, input, K] of [
      [ctrgcnConfig(), NTU, 60],
      [ctrgcnConfig({ width: 0.25, blocks: 6 }), { C: 3, T: 32, V: 18, M: 1 }, 7],
    ] as const) {
      const model = CtrGcnModel.create({ backbone, input, layout: input.V === 25 ? 'ntu25' : 'openpose18', numClasses: K }, 3);
      const built = model.trainableVariables().reduce((n, v) => n + v.size, 0);
      model.dispose();
      expect(countCost(backbone, input, K).params).toBe(built);
    }
  });

  it('width scales channels in multiples of 4 and blocks keep the stage structure', () => {
    const small = ctrgcnConfig({ width: 0.25 });
    expect(small.channels).toEqual([16, 16, 16, 16, 32, 32, 32, 64, 64, 64]);
    expect(small.strides).toEqual([1, 1, 1, 1, 2, 1, 1, 2, 1, 1]);
    const shallow = ctrgcnConfig({ blocks: 5, width: 0.3 });
    expect(shallow.channels.every((c) => c % 4 === 0)).toBe(true);
    expect(shallow.strides.filter((s) => s === 2)).toHaveLength(2);
    expect(new Set(shallow.channels).size).toBe(3);
  });
});
