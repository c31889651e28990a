/** NTU RGB+D sample names, `SsssCcccPpppRrrrAaaa` (setup, camera, performer, replication, action). */
export interface NtuName {
  setup: number;
  camera: number;
  performer: number;
  replication: number;
  /** 1-based action number as in the file name (A001 = 1). */
  action: number;
}

const NAME = /^S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})$/;

/** Parses a sample name or a file name such as `S001C002P003R002A013.skeleton`; null if it is neither. */
export function parseNtuName(fileOrName: string): NtuName | null {
  const base = fileOrName.replace(/^.*[\\/]/, '').replace(/\.skeleton$/, '');
  const m = NAME.exec(base);
  if (!m) return null;
  const [setup, camera, performer, replication, action] = m.slice(1).map(Number);
  return { setup, camera, performer, replication, action };
}
