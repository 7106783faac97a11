export { DEFAULT_DOCKER_IMAGE } from './bundling';
export * from './function';
export * from './types';
