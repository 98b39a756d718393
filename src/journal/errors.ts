/**
 * A JournalError is a user-facing condition (bad file, second writer, unwritable directory): its
 * message is one line that says what is wrong and what to do, and the CLI prints it without a stack.
 */
export class JournalError extends Error {
  override name = 'JournalError';
  constructor(message: string, readonly code: string) {
    super(message);
  }
}
