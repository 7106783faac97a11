/**
 * Every TypeScript snippet in the README compiles, as rustdoc checks doc
 * tests: each ```ts block becomes a Stack subclass whose constructor body is
 * the block (so `this` is a Stack), with the block's own imports on top.
 * `cdk-lambda-rust` resolves to this package's sources.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const root = path.resolve(__dirname, '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

/** The ```ts blocks (also indented ones, inside lists), dedented, with their line numbers. */
function tsBlocks(text: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  for (const m of text.matchAll(/^( *)```ts\n([\s\S]*?)^\1```/gm)) {
    const indent = m[1].length;
    const code = m[2]
      .split('\n')
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join('\n');
    blocks.push({ line: text.slice(0, m.index).split('\n').length, code });
  }
  return blocks;
}

function asStack(code: string): string {
  const lines = code.split('\n');
  const imports = lines.filter((l) => l.startsWith('import '));
  const body = lines.filter((l) => !l.startsWith('import '));
  return [
    "import { Stack as SnippetStack } from 'aws-cdk-lib';",
    "import type { Construct as SnippetConstruct } from 'constructs';",
    ...imports,
    '',
    'export class Snippet extends SnippetStack {',
    '  constructor(scope: SnippetConstruct, id: string) {',
    '    super(scope, id);',
    ...body.map((l) => `    ${l}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

test('every README ts snippet compiles with its own imports', () => {
  const blocks = tsBlocks(readme);
  expect(blocks.length).toBeGreaterThanOrEqual(13);
  const dir = path.join(root, '.cache', 'readme-snippets');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const files = blocks.map((b) => {
    const file = path.join(dir, `line-${b.line}.ts`);
    fs.writeFileSync(file, asStack(b.code));
    return file;
  });
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    lib: ['lib.es2022.d.ts'],
    types: ['node', 'jest'],
    typeRoots: [path.join(root, 'node_modules', '@types')],
    skipLibCheck: true,
    paths: { 'cdk-lambda-rust': [path.join(root, 'lib', 'index.ts')] },
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.includes(path.resolve(d.file.fileName)))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `README snippet ${path.basename(d.file!.fileName, '.ts')}, wrapped line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  expect(problems).toEqual([]);
});
