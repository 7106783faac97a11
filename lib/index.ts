export { DEFAULT_DOCKER_IMAGE } from './bundling';
// `DEFAULT_DOCKER_IMAGE` and `errorCode` are for TypeScript and JavaScript:
// jsii languages see `RustFunction.DEFAULT_DOCKER_IMAGE` and `RustErrors.codeOf`.
export { errorCode, RustErrors } from './errors';
export * from './extension';
export * from './function';
export * from './types';
