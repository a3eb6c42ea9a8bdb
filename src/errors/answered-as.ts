import { ZodError } from 'zod';
import { infrastructureFailure } from '../store/unavailable.js';
import { NotFoundError } from './not-found.js';
import { InvalidRequest, OAuthError, ServerError, TemporarilyUnavailable } from './oauth-errors.js';

/*
 * What the caller is told for any thrown error: the error handler (src/http/error-handler.ts)
 * sends exactly this, and the failure limit (src/oidc/token/failure-limit.ts) tells the
 * caller's refusals from our failures by its status, so the two cannot disagree.
 */

/** What the answer reads of a web framework's own error (Fastify's validation and client errors). */
interface FrameworkError {
  validation?: unknown;
  statusCode?: number;
  code?: string;
  message: string;
}

/** The HTTP status the error handler answers error with. */
export function answeredStatus(error: unknown): number {
  return error instanceof NotFoundError ? 404 : answeredAs(error).status;
}

/** The OAuth error the error handler answers error with (a NotFoundError aside: 404). */
export function answeredAs(error: unknown): OAuthError {
  const down = infrastructureFailure(error);
  // Our storage is down or too slow: not the request's fault (no 400/500), not a bug to page on.
  if (down) return unavailable(down.backend);
  if (error instanceof OAuthError) return error;
  if (error instanceof ZodError) return new InvalidRequest(describeZod(error));
  if (isDataException(error)) return new InvalidRequest('a value in the request cannot be stored (invalid characters, date or number)');
  const fastifyError = error as FrameworkError;
  if (fastifyError.validation) return new InvalidRequest(fastifyError.message);
  const status = fastifyError.statusCode;
  // Fastify's own client errors: bad JSON, body too large, unsupported media type.
  if (status && status >= 400 && status < 500) return new InvalidRequest(clientErrorText(fastifyError));
  return new ServerError('internal error');
}

/** 503 temporarily_unavailable naming the backend (as /readyz does), for a retry in a few seconds. */
export function unavailable(backend: string): TemporarilyUnavailable {
  return new TemporarilyUnavailable(`the service is temporarily unavailable (${backend} does not answer), try again shortly`);
}

/**
 * Backstop behind the edge checks: SQLSTATE class 22 "data exception" (22021 a NUL or invalid
 * UTF-8, 22007/22008 a bad date, 22003 a number out of range, 22P05 a NUL in jsonb) means the
 * request carried a value the database cannot hold: the client's fault, 400, not a 500.
 */
export function isDataException(error: unknown): error is { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

function clientErrorText(error: FrameworkError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'malformed request body';
    default:
      return 'malformed request';
  }
}

function describeZod(error: ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
