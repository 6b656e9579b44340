export type ElfFacts = {
    /**
     * e_machine
     */
    machine: number;
    machineName: string;
    /**
     * the highest GLIBC_x.y needed, as "x.y"
     */
    glibc: string | undefined;
    /**
     * every symbol version needed (GLIBC_2.2.5, GCC_3.0, ...)
     */
    neededVersions: string[];
    /**
     * DT_NEEDED sonames, in order
     */
    neededLibraries: string[];
};
export type Section = {
    type: number;
    offset: number;
    size: number;
    link: number;
    info: number;
};
/**
 * @param {string} file path of an ELF file
 * @returns {ElfFacts}
 */
export function readElf(file: string): ElfFacts;
/**
 * The highest `GLIBC_x.y[.z]` among symbol versions, as "x.y[.z]".
 * @param {string[]} versions
 * @returns {string | undefined}
 */
export function highestGlibc(versions: string[]): string | undefined;
/**
 * Compares dotted numbers ("2.28" < "2.34"): glibc versions, which are not semver.
 * @param {string} a
 * @param {string} b
 */
export function compareDotted(a: string, b: string): number;
export namespace MACHINE_BY_ARCHITECTURE {
    export { EM_X86_64 as x86_64 };
    export { EM_AARCH64 as arm64 };
}
/** @type {Record<number, string>} */
export const MACHINE_NAMES: Record<number, string>;
declare const EM_X86_64: 62;
declare const EM_AARCH64: 183;
export {};
