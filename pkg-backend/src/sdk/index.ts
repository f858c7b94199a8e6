// A small SDK for Grafana backend plugins written in TypeScript.
export * from './types';
export { serve } from './serve';
export { startPluginServer, type PluginServer } from './server';
export { createLogger, logProcessWarnings, parseLevel, type Logger, type Level } from './log';
export { checkMagicCookie, HandshakeError, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from './handshake';
export { InstanceManager } from './instances';
