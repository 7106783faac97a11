/**
 * The stable code of an error from this package (`UNKNOWN_BINARY`,
 * `BUILD_FAILED`, ...; see the README's error table), wherever it is found:
 * the error's own `code`, an error in its `cause` chain, or the `[CODE]`
 * prefix that survives when CDK re-wraps a bundling error as text. Returns
 * `undefined` for anything else.
 *
 * ```ts
 * try {
 *   app.synth();
 * } catch (e) {
 *   if (errorCode(e) === 'BUILD_FAILED') { ... }
 * }
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e !== null && e !== undefined && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && CODE.test(code)) return code;
    const message = typeof e === 'string' ? e : (e as { message?: unknown }).message;
    const found = typeof message === 'string' ? PREFIX.exec(message) : null;
    if (found) return found[1];
    if (typeof e !== 'object') break;
  }
  return undefined;
}

/**
 * The stable error codes of this package, for every language: from Python,
 * Java, .NET and Go (through jsii) an error arrives as the language's own
 * exception whose message starts with `[CODE] `; pass that message (or, from
 * TypeScript, the error itself) to `codeOf`.
 *
 * ```ts
 * try {
 *   app.synth();
 * } catch (e) {
 *   if (RustErrors.codeOf(e) === 'BUILD_FAILED') { ... }
 * }
 * ```
 */
export class RustErrors {
  /**
   * The code of an error from this package (`UNKNOWN_BINARY`,
   * `BUILD_FAILED`, ...; see the README's error table): the error's own
   * `code`, an error in its `cause` chain, or the `[CODE] ` prefix of a
   * message (what other languages get, and what survives CDK re-wrapping a
   * bundling error as text). The same as `errorCode`.
   *
   * @param errorOrMessage an error, or its message (in Python `str(e)`, in
   * Java `e.getMessage()`)
   * @returns the code, or `undefined` (`None`, `null`) for anything else
   */
  public static codeOf(errorOrMessage: unknown): string | undefined {
    return errorCode(errorOrMessage);
  }

  private constructor() {}
}

/** Our codes: upper-case words joined by `_` (napi's own statuses, e.g. `InvalidArg`, are not ours). */
const CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
const PREFIX = /\[([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\] /;
