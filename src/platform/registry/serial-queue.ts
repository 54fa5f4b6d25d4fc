/** Runs commands one at a time, in call order; a failed command does not block the next. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(command: () => Promise<T>): Promise<T> {
    const result = this.tail.then(command, command);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
