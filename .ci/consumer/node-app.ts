// A Node app in TypeScript using the installed runtime (tsconfig.node16.json).
import { loadRecording, Recognizer, type Classification } from 'cocodiff-runtime';

export async function classifyFile(wasm: string, recording: string): Promise<Classification> {
  const recognizer = await Recognizer.load(wasm, { stride: 8 });
  return recognizer.classify(await loadRecording(recording));
}
