// `npm start`: the engine with its demo multiverse on embedded defaults, logging control ticks.
import pino from 'pino';
import { Engine } from './engine/index.js';
import { DEMO_REALMS } from './engine/demo.js';
import { engineOptionsFromEnv } from './engine/env.js';

const logger = pino({ level: process.env.TICKVERSE_LOG_LEVEL ?? 'info' });
const engine = new Engine({ ...engineOptionsFromEnv(), logger });
await engine.start();
await Promise.all(DEMO_REALMS.map((realm) => engine.register(realm)));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await engine.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
