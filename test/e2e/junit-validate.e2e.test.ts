import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, tempDir } from '../helpers/cli.js';
import { checkJunit } from '../helpers/junit.js';

let dir: { path: string; remove: () => void };
const HOSTILE = 'a&b<"c>\n.yaml';

beforeAll(() => {
  dir = tempDir('runbook-junit-');
  writeFileSync(
    join(dir.path, 'good.yaml'),
    'id: good\ntitle: Good\ndetection:\n  checks:\n    - id: up\n      run: "true"\n      effect: read\n',
  );
  // A hostile file name and title: XML metacharacters, a line break, a control character.
  writeFileSync(
    join(dir.path, HOSTILE),
    'id: Bad\ntitle: "a & <b> \\u0007"\ndetection:\n  checks:\n    - id: up\n      run: "true"\n      effect: read\n      timout: 5s\n',
  );
  writeFileSync(
    join(dir.path, 'guarded.yaml'),
    'id: other-name\ntitle: t\nresolution:\n  - id: wipe\n    run: rm -rf /tmp/x\n    effect: destructive\n',
  );
});
afterAll(() => dir.remove());

describe('validate --format junit, read as CI reads it', () => {
  it('valid runbooks: one passing test case each', async () => {
    const result = await runBin(['validate', '--format', 'junit', 'good.yaml'], { cwd: dir.path });
    expect(result.code).toBe(0);
    expect(await checkJunit(result.stdout)).toEqual({
      suites: [
        { name: 'runbook validate', cases: [{ classname: 'runbook.validate', name: 'good.yaml' }] },
      ],
    });
  });

  it('invalid runbooks: a failure with the first error as its message, every error in its text', async () => {
    const result = await runBin(['validate', '--strict', '--format', 'junit', '.'], {
      cwd: dir.path,
    });
    expect(result.code).toBe(2);
    expect(await checkJunit(result.stdout)).toEqual({
      suites: [
        {
          name: 'runbook validate',
          cases: [
            {
              classname: 'runbook.validate',
              name: HOSTILE,
              failure: {
                message:
                  '1:5: id: must be kebab-case: lowercase letters, digits and hyphens (and 1 more)',
                type: 'invalid',
                text: `${HOSTILE}:1:5: id: must be kebab-case: lowercase letters, digits and hyphens\n${HOSTILE}:8:7: unknown key "timout" (did you mean "timeout"?)`,
              },
            },
            { classname: 'runbook.validate', name: 'good.yaml' },
            {
              classname: 'runbook.validate',
              name: 'guarded.yaml',
              failure: {
                message: '1:5: id "other-name" does not match the file name "guarded" (and 2 more)',
                type: 'invalid',
                text: [
                  'guarded.yaml:1:5: id "other-name" does not match the file name "guarded" (rename the file to other-name.yaml or change the id)',
                  'guarded.yaml:3:1: the runbook resolves but never verifies: it has resolution: steps and no verification: steps [resolution-without-verification] (add a verification: step that shows the fix worked (a health check, a query))',
                  'guarded.yaml:4:9: destructive step "wipe" has no guard [destructive-without-guard] (add a when: condition or confirm: true)',
                ].join('\n'),
              },
            },
          ],
        },
      ],
    });
  });

  it('the checker refuses what CI would misread', async () => {
    const xml = (
      await runBin(['validate', '--strict', '--format', 'junit', '.'], { cwd: dir.path })
    ).stdout;
    await expect(checkJunit(xml.replace('tests="3"', 'tests="4"'))).rejects.toThrow(
      'testsuites says tests="4" but holds 3',
    );
    await expect(
      checkJunit(xml.replace('failures="2" errors', 'failures="1" errors')),
    ).rejects.toThrow('testsuite 1 says failures="1" but holds 2');
    await expect(checkJunit(xml.replace('name="good.yaml"', 'name="a<b"'))).rejects.toThrow(
      /not well-formed XML/,
    );
    await expect(
      checkJunit(
        xml.replace(' classname="runbook.validate" name="good.yaml"', ' name="good.yaml"'),
      ),
    ).rejects.toThrow('testsuite 1, testcase 2 (good.yaml) has no classname');
  });
});
