/** What a child process reports for one scenario and one contender. */
export interface Measurement {
  /** Median of `samples`. */
  value: number;
  samples: number[];
  /** Work per sample: messages, spawns or actors. */
  n: number;
}

/** Marks the result line on a case's stdout, so stray library output cannot be mistaken for it. */
export const RESULT_PREFIX = 'RESULT ';
