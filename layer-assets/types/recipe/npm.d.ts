export type NpmResult = {
    /**
     * the exit status (-1 when npm could not start)
     */
    status: number | null;
    signal: NodeJS.Signals | null;
    error: Error | undefined;
    stdout: string;
    /**
     * stdout then stderr
     */
    output: string;
};
export type NpmOptions = {
    cwd?: string | undefined;
    /**
     * added to the environment
     */
    env?: Record<string, string> | undefined;
    timeoutMs?: number | undefined;
};
/**
 * How to start npm without a shell: node + npm-cli.js where it can be found
 * beside the running node, else an `npm` executable on PATH.
 * @returns {{ file: string, args: string[] }}
 */
export function npmCommand(): {
    file: string;
    args: string[];
};
/**
 * Runs `npm <args>` and waits for it.
 * @param {string[]} args
 * @param {NpmOptions} [options]
 * @returns {NpmResult}
 */
export function runNpm(args: string[], options?: NpmOptions): NpmResult;
/**
 * Runs `npm <args>` without blocking, calling `onTick` every `tickMs` while it runs
 * (for progress lines).
 * @param {string[]} args
 * @param {NpmOptions & { onTick?: () => void, tickMs?: number }} [options]
 * @returns {Promise<NpmResult>}
 */
export function runNpmAsync(args: string[], options?: NpmOptions & {
    onTick?: () => void;
    tickMs?: number;
}): Promise<NpmResult>;
/**
 * The last `n` lines of a command's output that say something: without blank
 * lines, npm's JavaScript stack frames, its pointer to its debug log, and its
 * warnings about this machine's npmrc.
 * @param {string} output
 * @param {number} [n]
 */
export function tail(output: string, n?: number): string;
/**
 * The installed npm's version as [major, minor, patch], or undefined when npm cannot be run.
 * @returns {number[] | undefined}
 */
export function npmVersion(): number[] | undefined;
/** Whether the host's npm installs linux-gnu native packages for any cpu. */
export function canInstallCrossPlatform(): boolean;
/**
 * One npm setting, or undefined when unset.
 * @param {string} key
 * @returns {string | undefined}
 */
export function npmConfig(key: string): string | undefined;
/** The registry npm uses. */
export function registryUrl(): string;
/** npm >= 10.4 honours --os, --cpu and --libc, so it can install another platform's native package. */
export const MIN_CROSS_PLATFORM_NPM: number[];
