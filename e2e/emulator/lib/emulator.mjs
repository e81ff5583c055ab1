// Runs cmd/emulator as a child process (EMULATOR_BIN, or a fresh `go build`).
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const live = new Set();

// Never leave an emulator behind, whatever happens to the test process.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

let binary;
async function emulatorBinary() {
  if (process.env.EMULATOR_BIN) return process.env.EMULATOR_BIN;
  if (!binary) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskclerk-e2e-bin-'));
    const out = path.join(dir, 'emulator');
    binary = promisify(execFile)('go', ['build', '-o', out, './cmd/emulator'], { cwd: repo, timeout: 180_000 }).then(() => {
      process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
      return out;
    });
  }
  return binary;
}

/**
 * Starts an emulator on ephemeral loopback ports with its state in a fresh
 * temporary directory (or opts.dir). Resolves with the ready-file contents
 * plus log() and stop().
 */
export async function startEmulator({ dir, authorizedParties = [] } = {}) {
  const bin = await emulatorBinary();
  const ownDir = !dir;
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'deskclerk-e2e-state-'));
  const readyFile = path.join(dir, 'ready.json');
  fs.rmSync(readyFile, { force: true });
  const args = ['-dir', dir, '-ready-file', readyFile, '-log-level', 'debug', ...authorizedParties.flatMap((p) => ['-authorized-party', p])];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); }));

  const deadline = Date.now() + 60_000;
  let info;
  while (!info) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`emulator exited early:\n${log}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`emulator not ready after 60 s:\n${log}`);
    }
    try {
      info = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
    } catch {
      await sleep(50);
    }
  }
  return {
    ...info,
    log: () => log,
    /**
     * The last verification code the emulator "emailed" to address, read from
     * its log; waits a little, since stderr arrives independently of HTTP responses.
     */
    async waitForCode(address, timeoutMs = 5000) {
      const re = new RegExp(`email to ${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: your verification code is (\\d{6})`, 'g');
      for (const deadline = Date.now() + timeoutMs; ; await sleep(20)) {
        const all = [...log.matchAll(re)];
        if (all.length) return all[all.length - 1][1];
        if (Date.now() > deadline) return null;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
