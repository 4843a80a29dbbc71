import { config } from 'zod';

/**
 * zod compiles a parser for each object schema (`new Function`) on its first parse, which pays off only
 * after many parses; a function parses its event once or twice per container. With the compiler off, the
 * first parse of a stage run (the step schemas built on first use included) took 20 ms instead of 25–32
 * (Node 22, fresh processes, docs/cold-start.md), and later parses were no slower. The step stack imports
 * this first, so it is set before any schema is built. Parsing and its errors are the same either way.
 */
config({ jitless: true });
