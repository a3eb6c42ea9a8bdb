/** A named thing does not exist (admin API): answered 404 with what was missing. */
export class NotFoundError extends Error {
  constructor(readonly what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}
