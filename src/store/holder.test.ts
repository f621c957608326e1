// Whether a process is alive: running processes are, gone ones and zombies (exited, not yet reaped) are not.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { isAlive } from './holder.js';

test('a running process is alive; once it has exited and been reaped, it is not', async () => {
  assert.equal(isAlive(process.pid), true);
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  assert.equal(isAlive(child.pid!), true);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(isAlive(child.pid!), false);
});

test('a zombie (exited, its parent has not reaped it yet) is not alive', { skip: process.platform !== 'linux' }, async () => {
  // `sh` starts a short sleep in the background, prints its pid and becomes `sleep 30`, which never reaps it. The
  // child outlives the exec: one that has exited before may be reaped by `sh` itself.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
    const pid = Number(line);
    const state = () => readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.charAt(0);
    for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(state(), 'Z', 'the child is a zombie');
    assert.equal(isAlive(pid), false);
  } finally {
    parent.kill('SIGKILL');
    await once(parent, 'exit');
  }
});
