/**
 * No markdown file of the repository sends a reader to something that is not
 * there: every relative link resolves to a file or folder (and its `#anchor`
 * to a heading of the file it names), and every repository path named in a
 * code span (`src/...`, `layer-assets/...`) exists. Fast tier.
 */
import * as fs from 'fs';
import * as path from 'path';
import { anchorOf, anchorsOf, markdownFiles, relativeLinks, repoPaths, REPO_ROOT } from './support/docs';

const FILES = markdownFiles();

test('the markdown files include the README, CONTRIBUTING.md and docs/', () => {
  expect(FILES).toEqual(expect.arrayContaining(['README.md', 'CONTRIBUTING.md', 'docs/storage.md', 'layer-assets/README.md']));
});

test('anchors are made as GitHub makes them', () => {
  expect(anchorOf('## Run it locally: the demo and the local invoker')).toBe('run-it-locally-the-demo-and-the-local-invoker');
  expect(anchorOf('## `/tmp` (the default)')).toBe('tmp-the-default');
  expect(anchorOf('## Maintenance run (`maintain`, `@lancedb/lancedb` 0.39.0)')).toBe('maintenance-run-maintain-lancedblancedb-0390');
  expect(anchorOf('## Not using CDK? Serverless, SAM, Terraform')).toBe('not-using-cdk-serverless-sam-terraform');
});

test('every relative link of every markdown file resolves, anchors included', () => {
  const links = FILES.flatMap(relativeLinks);
  // The README and docs/ link to each other: an extraction that finds nothing is itself a failure.
  expect(links.filter((l) => l.file === 'README.md').length).toBeGreaterThanOrEqual(10);
  const broken: string[] = [];
  for (const { file, line, target } of links) {
    const [rel, anchor] = target.split('#');
    const resolved = rel === '' ? file : path.normalize(path.join(path.dirname(file), decodeURIComponent(rel)));
    if (!fs.existsSync(path.join(REPO_ROOT, resolved))) {
      broken.push(`${file}:${line}: ${target} (no ${resolved})`);
    } else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
      broken.push(`${file}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  expect(broken).toEqual([]);
});

test('every repository path a markdown file names in a code span exists', () => {
  const paths = FILES.flatMap(repoPaths);
  expect(paths.length).toBeGreaterThanOrEqual(10);
  const missing = paths.filter((p) => !fs.existsSync(path.join(REPO_ROOT, p.target))).map((p) => `${p.file}:${p.line}: ${p.target}`);
  expect(missing).toEqual([]);
});
