/** The client side of a remote case, connected to its server process. */
export interface RemoteClient {
  /**
   * Does `n` units of work: tells, resolving once the server has handled all `n`; or requests, resolving once
   * every reply is in. With `rtts`, writes each request's round trip (µs) at its index.
   */
  run(n: number, rtts?: Float64Array): Promise<void>;
  close(): Promise<void>;
}
