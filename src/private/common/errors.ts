import { IConstruct } from 'constructs';
import { shown } from './messages';

/**
 * What is wrong with one prop of a construct, in the parts every message of
 * this library has: the construct path, the prop as the user wrote it, the
 * value (bounded), why it would fail, and the fix.
 */
export interface PropProblem {
  /** The prop as the user wrote it on the construct they called: `sdkVersion`, `bundling.nodeModules`. */
  readonly prop: string;
  /** What is wrong, as a fragment after the prop: `must be an exact version such as '0.21.2'`. */
  readonly problem: string;
  /**
   * The value given, shown as JSON and cut after 120 characters. Leave it out
   * (not `undefined`: absent) when the problem is a missing prop or a pair of props.
   */
  readonly value?: unknown;
  /** Why it would fail at run time, when that is not obvious from the problem. */
  readonly why?: string;
  /** What to do instead. */
  readonly fix: string;
}

/**
 * The one error type of the constructs: bad input found at synth time. The
 * message reads `<path>: <prop> <problem>, got <value>: <why>; <fix>`.
 */
export class VectorDbConfigError extends Error {
  /** The construct path the error belongs to. */
  public readonly constructPath: string;
  /** The prop at fault. */
  public readonly prop: string;

  constructor(where: string, problem: PropProblem) {
    super(`${where}: ${formatProblem(problem)}`);
    this.name = 'VectorDbConfigError';
    this.constructPath = where;
    this.prop = problem.prop;
  }
}

/**
 * A layer's error raised while a function builds its hidden layer, told at
 * the function's path (where the user wrote the props) with the layer's path
 * in brackets, so the message never points at a construct the user did not
 * write. Other errors pass through.
 */
export function atFunction(where: string, e: unknown): unknown {
  if (!(e instanceof VectorDbConfigError) || e.constructPath === where) return e;
  const moved = new VectorDbConfigError(where, { prop: e.prop, problem: '', fix: '' });
  moved.message = `${where}: ${e.message.slice(e.constructPath.length + 2)} (building its layer ${e.constructPath})`;
  return moved;
}

/** `<prop> <problem>, got <value>: <why>; <fix>`, the message without the path. */
export function formatProblem(p: PropProblem): string {
  const got = Object.prototype.hasOwnProperty.call(p, 'value') ? `, got ${shown(p.value)}` : '';
  const why = p.why ? `: ${p.why}` : '';
  return `${p.prop} ${p.problem}${got}${why}; ${p.fix}`;
}

/** Where a construct is, or will be once constructed (`scope.node.path/id`). */
export function pathOf(scope: IConstruct, id?: string): string {
  const base = scope.node.path;
  if (id === undefined) return base;
  return base ? `${base}/${id}` : id;
}

/**
 * The error every construct of this library throws for bad input. `where` is
 * the construct (or the path it will have: pass the scope and its id before
 * `super()`).
 */
export function propError(where: IConstruct | string, problem: PropProblem): VectorDbConfigError {
  return new VectorDbConfigError(typeof where === 'string' ? where : pathOf(where), problem);
}

/**
 * An error of the build or the environment (not of one prop): the path, then
 * the message as it stands. Used for failures such as a registry that cannot
 * be reached or a cloud assembly that cannot be written.
 */
export function constructError(where: IConstruct | string, message: string): VectorDbConfigError {
  const path = typeof where === 'string' ? where : pathOf(where);
  const e = new VectorDbConfigError(path, { prop: '', problem: '', fix: '' });
  e.message = `${path}: ${message}`;
  return e;
}
