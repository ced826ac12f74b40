// @ts-nocheck
// `npm start`: the engine with its demo multiverse and the gateway on one port, on embedded
// defaults (data in ./data, port 8000). docs/configuration.md lists the environment variables.
import { main } from './gateway/cli.js';

await main();
