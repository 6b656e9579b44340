import { apiKey, clearApiKeyCache, connect, plain, settings } from '../src/runtime';
import { loadFailure } from '../src/runtime/modules';

/** A stand-in for a module loader: the SDKs and the AWS SDK client record how they were called. */
function fakeModules(secretString?: string) {
  const calls: Array<{ module: string; args: unknown[] }> = [];
  const sdk = (name: string) => ({ connect: async (...args: unknown[]) => { calls.push({ module: name, args }); return { name }; } });
  const secretsManager = {
    SecretsManagerClient: class {
      constructor(public readonly config: unknown) {
        calls.push({ module: 'SecretsManagerClient', args: [config] });
      }
      public async send(command: { input: unknown }) {
        calls.push({ module: 'send', args: [command.input] });
        return { SecretString: secretString };
      }
    },
    GetSecretValueCommand: class {
      constructor(public readonly input: unknown) {}
    },
  };
  const load = (name: string): any => {
    if (name === 'vectordb' || name === '@lancedb/lancedb') return sdk(name);
    if (name === '@aws-sdk/client-secrets-manager') return secretsManager;
    throw new Error(`Cannot find module '${name}'`);
  };
  return { calls, load };
}

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:lancedb-AbCdEf';

beforeEach(() => clearApiKeyCache());

describe('settings', () => {
  test('reads the variables a VectorDatabase sets', () => {
    expect(settings({
      VECTORDB_URI: 's3://bucket/vectordb',
      VECTORDB_SDK: '@lancedb/lancedb',
      VECTORDB_STORAGE_OPTIONS: '{"aws_region":"eu-west-1","timeout":"60s"}',
      AWS_REGION: 'us-east-1',
    })).toEqual({ sdk: '@lancedb/lancedb', uri: 's3://bucket/vectordb', storageOptions: { aws_region: 'eu-west-1', timeout: '60s' } });
  });

  test('an S3 URI without a region gets the function\'s AWS_REGION; a folder gets nothing', () => {
    expect(settings({ VECTORDB_URI: 's3+ddb://b/p?ddbTableName=t', VECTORDB_SDK: 'vectordb', AWS_REGION: 'ap-south-1' }).storageOptions).toEqual({ aws_region: 'ap-south-1' });
    expect(settings({ VECTORDB_URI: '/tmp/x', VECTORDB_SDK: 'vectordb', AWS_REGION: 'ap-south-1' }).storageOptions).toEqual({});
  });

  test('refuses a missing VECTORDB_URI, naming it and the fix (no fallback to a shared /tmp folder)', async () => {
    const message = /^cdk-vectordb-layer: VECTORDB_URI is not set; VectorDbFunction sets it from its database .* with the local invoker --env VECTORDB_URI=DIR$/;
    expect(() => settings({ VECTORDB_SDK: 'vectordb' })).toThrow(message);
    expect(() => settings({ VECTORDB_SDK: 'vectordb', VECTORDB_URI: '  ' })).toThrow(message);
    const { calls, load } = fakeModules();
    await expect(connect({ env: { VECTORDB_SDK: 'vectordb' }, load })).rejects.toThrow(message);
    expect(calls).toEqual([]);
    // Without the layer, that is said first.
    await expect(connect({ env: {}, load: () => { throw new Error('no layer'); } })).rejects.toThrow(/^cdk-vectordb-layer: cannot load vectordb: no layer$/);
  });

  test('refuses an unknown SDK and malformed storage options', () => {
    expect(() => settings({ VECTORDB_SDK: 'left-pad' })).toThrow(/VECTORDB_SDK must be vectordb or @lancedb\/lancedb, got "left-pad"/);
    expect(() => settings({ VECTORDB_URI: '/tmp/x', VECTORDB_SDK: 'vectordb', VECTORDB_STORAGE_OPTIONS: '[1]' })).toThrow(/VECTORDB_STORAGE_OPTIONS must be a JSON object of strings/);
    expect(() => settings({ VECTORDB_URI: '/tmp/x', VECTORDB_SDK: 'vectordb', VECTORDB_STORAGE_OPTIONS: '{oops' })).toThrow(/VECTORDB_STORAGE_OPTIONS must be a JSON object of strings/);
  });
});

describe('connect', () => {
  const s3env = {
    VECTORDB_URI: 's3://bucket/db',
    VECTORDB_STORAGE_OPTIONS: '{"aws_region":"eu-west-1"}',
  };

  test('vectordb: one options object, the region also as awsRegion (vectordb would put AWS_REGION over it)', async () => {
    const { calls, load } = fakeModules();
    await connect({ env: { ...s3env, VECTORDB_SDK: 'vectordb', AWS_REGION: 'us-east-1' }, load, storageOptions: { allow_http: 'true' } });
    expect(calls).toEqual([{ module: 'vectordb', args: [{ uri: 's3://bucket/db', storageOptions: { aws_region: 'eu-west-1', allow_http: 'true' }, awsRegion: 'eu-west-1' }] }]);
  });

  test('@lancedb/lancedb: the URI and { storageOptions }', async () => {
    const { calls, load } = fakeModules();
    await connect({ env: { ...s3env, VECTORDB_SDK: '@lancedb/lancedb' }, load });
    expect(calls).toEqual([{ module: '@lancedb/lancedb', args: ['s3://bucket/db', { storageOptions: { aws_region: 'eu-west-1' } }] }]);
  });

  test('a folder: no storage options', async () => {
    const { calls, load } = fakeModules();
    await connect({ env: { VECTORDB_URI: '/mnt/vectordb', VECTORDB_SDK: '@lancedb/lancedb' }, load });
    expect(calls).toEqual([{ module: '@lancedb/lancedb', args: ['/mnt/vectordb', { storageOptions: {} }] }]);
  });

  test.each([
    ['plain', 'sk_live_123'],
    ['JSON', '{"apiKey":"sk_live_123"}'],
  ])('LanceDB Cloud: the key is fetched from Secrets Manager (%s secret) in the secret\'s region, once', async (_, secretString) => {
    const { calls, load } = fakeModules(secretString);
    const env = { VECTORDB_URI: 'db://my-db', VECTORDB_SDK: '@lancedb/lancedb', VECTORDB_API_KEY_SECRET_ARN: ARN, VECTORDB_CLOUD_REGION: 'us-east-1' };
    await connect({ env, load });
    await connect({ env, load });
    expect(calls).toEqual([
      { module: 'SecretsManagerClient', args: [{ region: 'eu-west-1' }] },
      { module: 'send', args: [{ SecretId: ARN }] },
      { module: '@lancedb/lancedb', args: ['db://my-db', { apiKey: 'sk_live_123', region: 'us-east-1' }] },
      { module: '@lancedb/lancedb', args: ['db://my-db', { apiKey: 'sk_live_123', region: 'us-east-1' }] },
    ]);
  });

  test('LanceDB Cloud with vectordb: one options object', async () => {
    const { calls, load } = fakeModules('sk_live_123');
    await connect({ env: { VECTORDB_URI: 'db://my-db', VECTORDB_SDK: 'vectordb', VECTORDB_API_KEY_SECRET_ARN: ARN }, load });
    expect(calls[calls.length - 1]).toEqual({ module: 'vectordb', args: [{ uri: 'db://my-db', apiKey: 'sk_live_123' }] });
  });

  test('clear errors: no secret ARN, an empty secret, a JSON secret without apiKey, an SDK that is not there', async () => {
    const { load } = fakeModules('');
    await expect(connect({ env: { VECTORDB_URI: 'db://x', VECTORDB_SDK: 'vectordb' }, load }))
      .rejects.toThrow(/VECTORDB_URI is a LanceDB Cloud URI \(db:\/\/x\) but VECTORDB_API_KEY_SECRET_ARN is not set/);
    await expect(apiKey(ARN, { load })).rejects.toThrow(/has no SecretString/);
    await expect(apiKey(ARN, { load: fakeModules('{"key":"x"}').load })).rejects.toThrow(/is a JSON object without an apiKey field/);
    await expect(connect({ env: { VECTORDB_URI: '/tmp/x', VECTORDB_SDK: 'vectordb' }, load: () => { throw new Error('it broke'); } }))
      .rejects.toThrow(/^cdk-vectordb-layer: cannot load vectordb: it broke$/);
  });

  test('without VECTORDB_SDK, the SDK the loader can load', async () => {
    const { calls, load } = fakeModules();
    const onlyLancedb = (name: string) => {
      if (name === 'vectordb') throw Object.assign(new Error("Cannot find module 'vectordb'"), { code: 'MODULE_NOT_FOUND' });
      return load(name);
    };
    await connect({ env: { VECTORDB_URI: '/mnt/db' }, load: onlyLancedb });
    expect(calls).toEqual([{ module: '@lancedb/lancedb', args: ['/mnt/db', { storageOptions: {} }] }]);
  });
});

describe('load failures say what is wrong', () => {
  const notFound = (name: string) => Object.assign(new Error(`Cannot find module '${name}'\nRequire stack:\n- /var/task/index.js`), { code: 'MODULE_NOT_FOUND' });

  test('the layer holds the other SDK', () => {
    expect(loadFailure('@lancedb/lancedb', notFound('@lancedb/lancedb'), 'vectordb'))
      .toMatch(/^cannot load @lancedb\/lancedb: it is not installed from .* and NODE_PATH .*, but vectordb is: the function's layer holds vectordb\. Set VECTORDB_SDK to vectordb/);
  });

  test('no layer, on Lambda and elsewhere', () => {
    const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
    try {
      process.env.AWS_LAMBDA_FUNCTION_NAME = 'fn';
      expect(loadFailure('vectordb', notFound('vectordb'), undefined)).toMatch(/; the function has no VectorDbLayer \(a layer puts it in \/opt\/nodejs\/node_modules, on NODE_PATH\): attach one/);
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      expect(loadFailure('vectordb', notFound('vectordb'), undefined)).toMatch(/; outside Lambda the layer is not there: run the function with `cdk-vectordb-layer invoke`/);
    } finally {
      if (saved === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
    }
  });

  test('a dependency of the SDK is missing, or its native binary does not load here', () => {
    expect(loadFailure('vectordb', notFound('apache-arrow'), undefined)).toBe("cannot load vectordb: Cannot find module 'apache-arrow'");
    const glibc = new Error("/lib64/libc.so.6: version `GLIBC_2.28' not found (required by /opt/nodejs/node_modules/@lancedb/vectordb-linux-x64-gnu/index.node)");
    expect(loadFailure('vectordb', glibc, undefined)).toMatch(/^cannot load vectordb: its native binary does not load here \(.*GLIBC_2\.28.*\); the layer's architecture and glibc must match the function's/);
  });
});

describe('plain rows', () => {
  test('typed arrays, 64-bit integers and objects with toJSON (Arrow rows and vectors) become plain values', () => {
    const arrowLike = { toJSON: () => ({ id: 7n, vector: { toJSON: () => [1, 2] }, when: new Date(0), huge: 2n ** 60n }) };
    expect(plain(arrowLike)).toEqual({ id: 7, vector: [1, 2], when: new Date(0), huge: '1152921504606846976' });
    expect(plain([new Float32Array([0.5, 1.5]), null, 'x'])).toEqual([[0.5, 1.5], null, 'x']);
  });
});
