export { DEFAULT_DOCKER_IMAGE } from './bundling';
export { errorCode } from './errors';
export * from './extension';
export * from './function';
export * from './types';
