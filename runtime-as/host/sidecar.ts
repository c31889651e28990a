/** Reading and checking the recognizer's sidecar (the schema is runtime-as/shared/sidecar.ts). */
import { checkHeader, classNamesProblem, fieldChecks, isSha256Hex, parseJson } from '../shared/json-fields.ts';
import { isLayoutName, LAYOUT_LIST } from '../shared/layouts.ts';
import { SIDECAR_FORMAT, type RecognizerSidecar } from '../shared/sidecar.ts';

export { SIDECAR_FORMAT, SIDECAR_SECTION, type RecognizerSidecar } from '../shared/sidecar.ts';

/** Parses and checks a sidecar; `where` names the file or section in error messages. */
export function parseSidecar(text: string, where: string): RecognizerSidecar {
  return checkSidecar(parseJson(text, where), where);
}

/** Checks a sidecar already parsed (one an app passes as an object), as a file's is checked. */
export function checkSidecar(doc: unknown, where: string): RecognizerSidecar {
  const s = doc as RecognizerSidecar;
  const need = fieldChecks(where);
  // No version: the module's own ABI version is checked when it is instantiated.
  checkHeader(s, need, { format: SIDECAR_FORMAT });
  const classes = classNamesProblem(s.classes);
  need(classes === undefined, 'classes', classes!);
  need(isLayoutName(s.layout), 'layout', `expected one of ${LAYOUT_LIST}, found ${JSON.stringify(s.layout)}`);
  need(s.wasmSha256 === undefined || isSha256Hex(s.wasmSha256), 'wasmSha256', 'expected the sha256 of the .wasm as 64 hex digits');
  const t = s.threads;
  const count = (n: unknown, max: number): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;
  need(t === undefined || (typeof t === 'object' && t !== null && count(t.count, 1024) && count(t.memoryPages, 65536)), 'threads',
    `expected {"count": threads, "memoryPages": 64 KiB pages of the shared memory}, found ${JSON.stringify(t)}`);
  return s;
}
