/**
 * The wall-clock limit of a test whose outcome does not depend on how fast the machine is: it runs on
 * virtual time (AutoAdvanceClock, ManualClock) or checks a fixed number of seeded cases, so a busy machine
 * makes it slower, never different. The limit only stops a test that hangs for good; it is generous on
 * purpose, so that six engineers' jobs on two cores cannot fail such a test. `jest --testTimeout` does not
 * reach tests that pass their own limit, so they pass this one.
 */
export const HANG_LIMIT_MS = 10 * 60_000;
