// @ts-nocheck
export { startGateway, type Gateway } from './server.js';
export { resolveGatewayOptions, type GatewayOptions, type ResolvedGatewayOptions, MIN_TOKEN_LENGTH } from './options.js';
export { createLogger, prettyLine, silentLogger, type GatewayLogger, type LogFormat } from './logger.js';
