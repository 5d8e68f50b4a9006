/**
 * An async task on a timer, one run at a time: a database write (a
 * heartbeat, a sweep) that outlasts its interval is not started again while
 * it is still going, and stopping waits for the one in flight, so nothing
 * the worker owns writes after it said it was done. Errors go to `onError`;
 * the next tick tries again.
 */
export class Repeat {
  private timer: NodeJS.Timeout | null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly fn: () => Promise<unknown>,
    ms: number,
    private readonly onError: (e: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.now(), ms);
  }

  /** Run it now, unless a run is in flight (then that one is waited for). Never rejects. */
  now(): Promise<void> {
    this.running ??= (async () => {
      // Yield first, so a body that throws at once still clears `running` after it was set.
      await null;
      try {
        await this.fn();
      } catch (e) {
        this.onError(e);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** No more ticks; resolves once the one in flight (if any) is done. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
