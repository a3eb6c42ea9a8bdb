import { EsiaError } from '../../src/esia/errors.js';

/** The EsiaError a call rejects with; any other outcome fails the test. */
export async function failureOf(promise: Promise<unknown>): Promise<EsiaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EsiaError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}
