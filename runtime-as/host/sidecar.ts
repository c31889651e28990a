/** Reading and checking the recognizer's sidecar (the schema is common/sidecar.ts). */
import { checkHeader, fieldChecks, isNameList, isSha256Hex, parseJson } from '../../common/json-fields.ts';
import { isLayoutName, LAYOUTS } from '../../common/layouts.ts';
import { SIDECAR_FORMAT, type RecognizerSidecar } from '../../common/sidecar.ts';

export { SIDECAR_FORMAT, SIDECAR_SECTION, type RecognizerSidecar } from '../../common/sidecar.ts';

/** Parses and checks a sidecar; `where` names the file or section in error messages. */
export function parseSidecar(text: string, where: string): RecognizerSidecar {
  const s = parseJson(text, where) as RecognizerSidecar;
  const need = fieldChecks(where);
  // No version: the module's own ABI version is checked when it is instantiated.
  checkHeader(s, need, { format: SIDECAR_FORMAT });
  need(isNameList(s.classes), 'classes', 'expected a non-empty list of class names');
  need(isLayoutName(s.layout), 'layout', `expected one of ${Object.keys(LAYOUTS).join(', ')}, found ${JSON.stringify(s.layout)}`);
  need(s.wasmSha256 === undefined || isSha256Hex(s.wasmSha256), 'wasmSha256', 'expected the sha256 of the .wasm as 64 hex digits');
  return s;
}
