// Tool calls rendered for reading: a shell command with its output and exit code, a file edit as a unified diff
// (jsdiff). Knows the tool names and inputs of Claude Code, Codex CLI and Gemini CLI; other tools get no view.
import { createTwoFilesPatch } from 'diff';
import { obj } from '../usage/wire.js';
import type { BashView, EditView, ToolView } from './conversation.js';

const SHELL_TOOLS = new Set(['Bash', 'shell', 'shell_command', 'exec_command', 'local_shell', 'run_shell_command', 'container.exec']);
const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** A POSIX-quoted argv, as a person would type it. */
function joinArgv(argv: unknown[]): string {
  return argv.map((a) => (typeof a === 'string' && /^[\w@%+=:,./-]+$/.test(a) ? a : `'${String(a).replace(/'/g, `'\\''`)}'`)).join(' ');
}

function shellCommand(input: Record<string, unknown>): string | null {
  const c = input.command ?? input.cmd;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) {
    // Codex runs `bash -lc '<script>'`: the script is the command.
    if (c.length === 3 && /(^|\/)(ba|z)?sh$/.test(String(c[0])) && /^-l?c$/.test(String(c[1]))) return String(c[2]);
    return joinArgv(c);
  }
  return null;
}

/** The output and exit code a shell tool's result states (Codex sends JSON with metadata, others text). */
function shellResult(text: string): { output: string; exitCode: number | null } {
  try {
    const o = obj(JSON.parse(text));
    if (o && typeof o.output === 'string') {
      const code = obj(o.metadata)?.exit_code;
      return { output: o.output, exitCode: typeof code === 'number' ? code : null };
    }
  } catch {
    // text, as most tools answer
  }
  const m = /^(?:Error: )?Exit code:? (-?\d+)/im.exec(text);
  return { output: text, exitCode: m ? Number(m[1]) : null };
}

function counts(patch: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of patch.split('\n')) {
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    if (line.startsWith('+')) added++;
    else if (line.startsWith('-')) removed++;
  }
  return { added, removed };
}

function unified(path: string | null, before: string, after: string): string {
  const name = path ?? 'file';
  return createTwoFilesPatch(name, name, before, after, undefined, undefined, { context: 3 });
}

function editView(name: string, input: unknown): EditView | null {
  if (name === 'apply_patch') {
    const patch = s(input) ?? s(obj(input)?.input) ?? s(obj(input)?.patch);
    if (patch === null) return null;
    const file = /^\*\*\* (?:Add|Update|Delete) File: (.+)$/m.exec(patch);
    return { kind: 'edit', path: file ? file[1]!.trim() : null, diff: patch, ...counts(patch.replace(/^\*\*\*.*$/gm, '')), wholeFile: false };
  }
  const o = obj(input);
  if (!o) return null;
  const path = s(o.file_path) ?? s(o.path) ?? s(o.absolute_path);
  if (name === 'Edit' || name === 'replace') {
    const before = s(o.old_string);
    const after = s(o.new_string);
    if (before === null || after === null) return null;
    const diff = unified(path, before, after);
    return { kind: 'edit', path, diff, ...counts(diff), wholeFile: false };
  }
  if (name === 'MultiEdit') {
    const edits = Array.isArray(o.edits) ? o.edits.map(obj).filter((e): e is Record<string, unknown> => e !== null) : [];
    const parts = edits.filter((e) => s(e.old_string) !== null && s(e.new_string) !== null).map((e) => unified(path, s(e.old_string)!, s(e.new_string)!));
    if (parts.length === 0) return null;
    const diff = parts.join('');
    return { kind: 'edit', path, diff, ...counts(diff), wholeFile: false };
  }
  if (name === 'Write' || name === 'write_file') {
    const content = s(o.content);
    if (content === null) return null;
    const diff = unified(path, '', content);
    return { kind: 'edit', path, diff, ...counts(diff), wholeFile: true };
  }
  return null;
}

/** The reading view of a tool call and its result (null result: not answered yet), or null for other tools. */
export function toolView(name: string, input: unknown, result: { text: string; isError: boolean | null } | null): ToolView | null {
  if (SHELL_TOOLS.has(name)) {
    const o = obj(input);
    const command = o ? shellCommand(o) : null;
    if (command === null) return null;
    const r = result ? shellResult(result.text) : null;
    const view: BashView = { kind: 'bash', command, description: o ? s(o.description) : null, output: r?.output ?? null, exitCode: r?.exitCode ?? null, isError: result?.isError ?? (r?.exitCode !== null && r?.exitCode !== undefined ? r.exitCode !== 0 : null) };
    return view;
  }
  return editView(name, input);
}
