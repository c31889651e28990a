/**
 * Where a module's mutants may go, found by name rather than by line number: the named functions,
 * methods and top-level constants of a file (TypeScript's parser also reads AssemblyScript), or the
 * lines between two anchor strings. Line numbers move with every edit; names and anchors do not.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** An inclusive 1-based line range of one file. */
export interface LineRange {
  file: string;
  from: number;
  to: number;
}

/** What a module mutates in one file: named declarations, lines between anchors, or the whole file. */
export interface Region {
  file: string;
  /** Functions, methods or top-level variables by name. */
  names?: string[];
  /** The lines from the first line containing `from` to the next line containing `to`, inclusive. */
  between?: { from: string; to: string };
  /** Planted mutants only: the test files for this region's mutants, when fewer than the module's. */
  tests?: string[];
}

export function regionRanges(root: string, region: Region): LineRange[] {
  const text = readFileSync(`${root}/${region.file}`, 'utf8');
  const lines = text.split('\n');
  if (region.between) {
    const from = lines.findIndex((l) => l.includes(region.between!.from));
    const to = from < 0 ? -1 : lines.findIndex((l, i) => i > from && l.includes(region.between!.to));
    if (from < 0 || to < 0) throw new Error(`mutation: ${region.file}: anchors ${JSON.stringify(region.between)} not found`);
    return [{ file: region.file, from: from + 1, to: to + 1 }];
  }
  if (!region.names) return [{ file: region.file, from: 1, to: lines.length }];
  const source = ts.createSourceFile(region.file, text, ts.ScriptTarget.Latest, true);
  const found = new Map<string, LineRange>();
  const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node): void => {
    const named = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isVariableStatement(node);
    if (named) {
      const names = ts.isVariableStatement(node)
        ? node.declarationList.declarations.map((d) => d.name.getText(source))
        : [node.name?.getText(source) ?? ''];
      for (const name of names) {
        if (region.names!.includes(name) && !found.has(name)) found.set(name, { file: region.file, from: line(node.getStart(source)), to: line(node.getEnd()) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const missing = region.names.filter((n) => !found.has(n));
  if (missing.length) throw new Error(`mutation: ${region.file}: no declaration named ${missing.join(', ')}`);
  return [...found.values()].sort((a, b) => a.from - b.from);
}
