/** The core reads no clock: time is passed in, so tests pin it and decisions are reproducible. */
export interface Clock {
  now(): Date;
}
