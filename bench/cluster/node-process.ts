// One engine node process — `node dist/gateway/cli.js`, what `npm start` runs — on port 0 on
// loopback, its bound URL read from the "tickverse is up" log line. Shared by the scale-out
// tests (tests/cluster-helpers.ts) and the cluster benchmark (./procs.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface NodeProcess {
  proc: ChildProcess;
  url: string;
  /** Its stdout lines and stderr chunks, up to `logLimit`. */
  log: string[];
}

/** Starts a node with `env` over this process's environment; resolves once its gateway listens. */
export async function spawnNode(id: string, env: NodeJS.ProcessEnv, logLimit = Infinity, onSpawn?: (p: ChildProcess) => void): Promise<NodeProcess> {
  const proc = spawn(process.execPath, [cliPath()], {
    env: { ...process.env, TICKVERSE_PORT: '0', TICKVERSE_HOST: '127.0.0.1', TICKVERSE_LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onSpawn?.(proc);
  const log: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (log.length < logLimit) log.push(line);
        if (line.includes('tickverse is up')) resolve((JSON.parse(line) as { url: string }).url.replace('localhost', '127.0.0.1').replace(/\/$/, ''));
      }
    });
    proc.stderr!.on('data', (b: Buffer) => void (log.length < logLimit && log.push(b.toString())));
    proc.once('exit', (code) => reject(new Error(`node ${id} exited (${code}): ${log.join('\n')}`)));
  });
  return { proc, url, log };
}

/** dist/gateway/cli.js from here (dist/bench/cluster/) or from the sources (bench/cluster/, run by vitest). */
function cliPath(): string {
  const compiled = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '').endsWith('/dist/bench/cluster');
  return compiled ? fileURLToPath(new URL('../../gateway/cli.js', import.meta.url)) : fileURLToPath(new URL('../../dist/gateway/cli.js', import.meta.url));
}
