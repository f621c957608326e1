import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toolView } from './tool-views.js';

test('shell tools of each client: the command as typed, the exit code only where the output states it', () => {
  assert.deepEqual(toolView('Bash', { command: 'ls', description: 'List' }, { text: 'a\nb', isError: false }), { kind: 'bash', command: 'ls', description: 'List', output: 'a\nb', exitCode: null, isError: false });
  assert.deepEqual(toolView('Bash', { command: 'false' }, null), { kind: 'bash', command: 'false', description: null, output: null, exitCode: null, isError: null });
  const codexText = toolView('shell', { command: ['bash', '-lc', "grep -n 'x y' a.ts"] }, { text: 'Exit code: 1\nWall time: 0.1 seconds\nOutput:\n', isError: null });
  assert.deepEqual(codexText && codexText.kind === 'bash' && [codexText.command, codexText.exitCode, codexText.isError], ["grep -n 'x y' a.ts", 1, true]);
  const argv = toolView('local_shell', { command: ['git', 'commit', '-m', "it's done"] }, null);
  assert.equal(argv?.kind === 'bash' && argv.command, `git commit -m 'it'\\''s done'`);
  const exec = toolView('exec_command', { cmd: 'npm test' }, { text: '{"output":"ok\\n","metadata":{"exit_code":0}}', isError: null });
  assert.deepEqual(exec && exec.kind === 'bash' && [exec.command, exec.output, exec.exitCode, exec.isError], ['npm test', 'ok\n', 0, false]);
  assert.equal(toolView('Bash', { nope: 1 }, null), null);
  assert.equal(toolView('Read', { file_path: 'a' }, null), null);
});

test('edits: MultiEdit hunks one after another, apply_patch as its patch, input that is not an edit gives none', () => {
  const multi = toolView('MultiEdit', { file_path: 'a.ts', edits: [{ old_string: 'a', new_string: 'b' }, { old_string: 'c\nd', new_string: 'c' }, { bad: true }] }, null);
  assert.equal(multi?.kind, 'edit');
  if (multi?.kind === 'edit') {
    assert.deepEqual([multi.path, multi.added, multi.removed, multi.wholeFile], ['a.ts', 2, 3, false]);
    assert.equal(multi.diff.match(/^@@/gm)?.length, 2);
  }
  const patch = '*** Begin Patch\n*** Update File: src/a.ts\n@@\n-old\n+new\n+more\n*** End Patch\n';
  assert.deepEqual(toolView('apply_patch', patch, null), { kind: 'edit', path: 'src/a.ts', diff: patch, added: 2, removed: 1, wholeFile: false });
  assert.deepEqual(toolView('apply_patch', { input: patch }, null)?.kind, 'edit');
  assert.equal(toolView('Edit', { file_path: 'a', old_string: 1 }, null), null);
  assert.equal(toolView('Write', 'text', null), null);
});
