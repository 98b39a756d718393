/**
 * User errors: a condition the user can fix (bad argument, busy port, damaged file). The CLI prints
 * its message as one line, without a stack trace, and exits non-zero.
 */
import { JournalError } from '../journal/errors.js';
import { DecimalError } from '../model/decimal.js';

export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function isUserError(err: unknown): err is Error {
  return err instanceof UserError || err instanceof JournalError || err instanceof DecimalError;
}

/** Runs `main`; a user error becomes "kfc: <message>" on stderr and an exit code. */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (isUserError(err)) {
      process.stderr.write(`kfc: ${err.message}\n`);
      process.exitCode = err instanceof UserError ? err.exitCode : 1;
      return;
    }
    throw err;
  }
}
