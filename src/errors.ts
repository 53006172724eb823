// One vocabulary of failure, shared by logs, CDR causes and API errors.
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'TOO_MANY_ATTEMPTS'
  | 'PAYLOAD_TOO_LARGE'
  | 'CONFLICT'
  | 'USER_EXISTS'
  | 'PIN_IN_USE'
  | 'CALLER_ID_IN_USE'
  | 'DID_IN_USE'
  | 'USER_BUSY'
  | 'UNKNOWN_USER'
  | 'INSUFFICIENT_CREDIT'
  | 'BAD_PIN'
  | 'CALLER_LOCKED'
  | 'NOT_ALLOWED'
  | 'NO_NUMBER'
  | 'DIAL_FAILED'
  | 'ENGINE_ERROR'
  | 'LINK_DOWN'
  | 'TIMEOUT'
  | 'SHUTDOWN'
  | 'ARCHIVE_EXISTS'
  | 'INTERNAL';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field at fault, when there is one (forms show the error next to it). */
    readonly field?: string,
    /** The message's variables, so the admin page can say it in its own language. */
    readonly params?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
