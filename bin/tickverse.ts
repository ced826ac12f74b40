#!/usr/bin/env node
// The `tickverse` command of the installed package: start, dev, bench, --help, --version.
// Heavy modules load only for the command that needs them, so --help and --version are instant.
import { fileURLToPath } from 'node:url';
import { PACKAGE_VERSION } from '../gateway/version.js';
import { resolveKindPaths, UsageError } from './kind-paths.js';

const HELP = `tickverse ${PACKAGE_VERSION}: an actor-model simulation engine for multiplayer game worlds

Usage:
  tickverse start [kind ...]   the engine with the demo multiverse and the gateway on one port
                               (http://localhost:8000/: admin pages, /ws, /api, /metrics)
  tickverse dev [kind ...]     like start, and HOT-RELOADS a kind module when its file changes:
                               realms keep their state and clients stay connected; a version
                               whose load, restore or first tick fails is rolled back. It
                               restarts the process instead (no hot reload: state in memory is
                               lost) when a helper file changes or with TICKVERSE_PORT=0
  tickverse bench [options]    the benchmark scenarios (--quick, --only=ring,barrier,...)
  tickverse --help             this text
  tickverse --version          the package version

A kind is a .js/.mjs module whose default export is a realm kind (defineKind from 'tickverse'),
or a directory: every .js/.mjs file directly inside it is one kind.

Environment: TICKVERSE_PORT (8000), TICKVERSE_HOST, TICKVERSE_TOKEN (admin token; generated and
logged when unset), TICKVERSE_DATA_DIR (./data; "none"), TICKVERSE_DEMO=0 (no demo realms),
TICKVERSE_SHARDS, TICKVERSE_LOG_FORMAT (json|pretty), TICKVERSE_LOG_LEVEL.
docs/package.md and docs/deployment.md in the package have the rest.
`;

function fail(msg: string, code: number): never {
  process.stderr.write(`tickverse: ${msg}\n`);
  process.exit(code);
}

async function run(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP);
      return;
    case '--version':
    case '-v':
      process.stdout.write(`${PACKAGE_VERSION}\n`);
      return;
    case 'start': {
      const kinds = resolveKindPaths(rest);
      const { main } = await import('../gateway/cli.js');
      await main({ kindModules: kinds.flatMap((k) => [...k.modules]) });
      return;
    }
    case 'dev': {
      const kinds = resolveKindPaths(rest);
      if (kinds.length === 0) throw new UsageError('dev needs at least one kind path to watch (a file or a directory)');
      const { runDev } = await import('./dev.js');
      runDev(fileURLToPath(import.meta.url), kinds, rest);
      return;
    }
    case 'bench':
      // bench/run.js reads its options from process.argv and runs on import. A computed
      // specifier: the container image builds without bench/ (it is not part of the server).
      await import(new URL('../bench/run.js', import.meta.url).href);
      return;
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run tickverse --help`);
  }
}

run(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof UsageError) fail(e.message, 2);
  fail(`failed to start: ${e instanceof Error ? e.message : String(e)}`, 1);
});
