/**
 * The ONNX graph under construction: nodes, initializers (little-endian raw bytes) and a count of
 * operators, in the shapes protobufjs encodes with schema.ts. Names are unique because the IR's
 * tensor names are.
 */
import { BN_EPS, type BatchNorm } from '../ir.ts';
import { AttributeType, DataType } from './schema.ts';

export type Attribute = { name: string; type: number; i?: number; f?: number; ints?: number[] };
export const int = (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i });
export const ints = (name: string, values: number[]): Attribute => ({ name, type: AttributeType.INTS, ints: values });
export const float = (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f });

interface TensorJson { name: string; dims: number[]; data_type: number; raw_data?: Uint8Array; int64_data?: number[] }
interface NodeJson { name: string; op_type: string; input: string[]; output: string[]; attribute: Attribute[] }

/** Collects nodes and initializers. */
export class GraphBuilder {
  readonly nodes: NodeJson[] = [];
  readonly initializers: TensorJson[] = [];
  readonly operators = new Map<string, number>();

  /** A float32 initializer (little-endian raw bytes). */
  weight(name: string, dims: number[], data: Float32Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`onnx export: ${name} has ${data.length} values for [${dims}]`);
    const raw = new Uint8Array(4 * data.length);
    const view = new DataView(raw.buffer);
    data.forEach((v, i) => view.setFloat32(4 * i, v, true));
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: raw });
    return name;
  }

  /** An 8-bit initializer (QDQ codes and zero points): `data_type` DataType.INT8 or UINT8, one byte a value. */
  bytes(name: string, dims: number[], dataType: number, data: Int8Array | Uint8Array): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`onnx export: ${name} has ${data.length} values for [${dims}]`);
    this.initializers.push({ name, dims, data_type: dataType, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.length).slice() });
    return name;
  }

  /** An int64 vector initializer (Reshape's target shape). */
  shape(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, int64_data: values });
    return name;
  }

  node(opType: string, inputs: string[], output: string, attribute: Attribute[] = []): string {
    this.nodes.push({ name: output, op_type: opType, input: inputs, output: [output], attribute });
    this.operators.set(opType, (this.operators.get(opType) ?? 0) + 1);
    return output;
  }

  batchNorm(input: string, output: string, bn: BatchNorm, prefix: string): string {
    const c = bn.gamma.length;
    return this.node('BatchNormalization', [
      input,
      this.weight(`${prefix}.weight`, [c], bn.gamma),
      this.weight(`${prefix}.bias`, [c], bn.beta),
      this.weight(`${prefix}.running_mean`, [c], bn.mean),
      this.weight(`${prefix}.running_var`, [c], bn.variance),
    ], output, [float('epsilon', BN_EPS)]);
  }
}
