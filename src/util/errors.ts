/**
 * A UserError is a condition the user can fix (bad argument, busy port, unknown account): its
 * message is one line saying what is wrong and what to do; the CLI prints it without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
