/**
 * A trace of the work a synth repeats only when its inputs change: with
 * `CDK_VECTORDB_LAYER_TRACE` set to a file, each such piece of work done (not
 * answered from what is known) appends one line, `<event> <detail>`; tests and
 * the bench count them across processes. Nothing is written when it is unset.
 */
import * as fs from 'fs';

/** The events traced. */
export type TraceEvent = 'npm-version-probe' | 'sdk-detection' | 'layer-check';

/** Appends `<event> <detail>` to the trace file, when there is one; a trace that cannot be written is dropped. */
export function trace(event: TraceEvent, detail: string = ''): void {
  const file = process.env.CDK_VECTORDB_LAYER_TRACE;
  if (!file) return;
  try {
    fs.appendFileSync(file, `${event} ${detail.replace(/\s+/g, ' ')}\n`);
  } catch {
    // a trace is for counting; the synth goes on
  }
}
