/** Reading and checking the recognizer's sidecar (the schema is common/sidecar.ts). */
import { UserError } from '../../common/errors.ts';
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
  need(s && typeof s === 'object', '(root)', 'expected a JSON object');
  need(s.format === SIDECAR_FORMAT, 'format', `expected "${SIDECAR_FORMAT}", found ${JSON.stringify(s.format)}`);
  need(Array.isArray(s.classes) && s.classes.every((c) => typeof c === 'string'), 'classes', 'expected a list of class names');
  need(typeof s.layout === 'string', 'layout', 'expected a joint layout name');
  return s;
}
