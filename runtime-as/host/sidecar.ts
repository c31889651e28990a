/** Reading and checking the recognizer's sidecar (the schema is common/sidecar.ts). */
import { UserError } from '../../common/errors.ts';
import { isLayoutName, LAYOUTS } from '../../common/layouts.ts';
import { SIDECAR_FORMAT, type RecognizerSidecar } from '../../common/sidecar.ts';

export { SIDECAR_FORMAT, SIDECAR_SECTION, type RecognizerSidecar } from '../../common/sidecar.ts';

/** Parses and checks a sidecar; `where` names the file or section in error messages. */
export function parseSidecar(text: string, where: string): RecognizerSidecar {
  let s: RecognizerSidecar;
  try {
    s = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const need = (ok: unknown, field: string, what: string): void => {
    if (!ok) throw new UserError(`${where}: field "${field}": ${what}`);
  };
  need(s && typeof s === 'object' && !Array.isArray(s), '(root)', 'expected a JSON object');
  need(s.format === SIDECAR_FORMAT, 'format', `expected "${SIDECAR_FORMAT}", found ${JSON.stringify(s.format)}`);
  need(Array.isArray(s.classes) && s.classes.length > 0 && s.classes.every((c) => typeof c === 'string'), 'classes', 'expected a non-empty list of class names');
  need(isLayoutName(s.layout), 'layout', `expected one of ${Object.keys(LAYOUTS).join(', ')}, found ${JSON.stringify(s.layout)}`);
  need(s.wasmSha256 === undefined || (typeof s.wasmSha256 === 'string' && /^[0-9a-f]{64}$/.test(s.wasmSha256)), 'wasmSha256', 'expected the sha256 of the .wasm as 64 hex digits');
  return s;
}
