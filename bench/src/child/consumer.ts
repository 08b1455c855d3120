/** A queue's worker inside one benchmark process: built and connected first, consuming on `start`. */
export interface Consumer {
  /** Begins consuming; resolves once the worker is up and waiting for jobs. */
  start(): Promise<void>
  /** Stops consuming and lets running jobs finish; resolves when the worker has let go of everything. */
  stop(): Promise<void>
}
