export * from './function';
export * from './types';
export { Bundling, BundlingProps, DEFAULT_DOCKER_IMAGE } from './bundling';
