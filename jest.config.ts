import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from 'jest';

// One Jest project per workspace that has a test/ folder, all transformed by SWC; type checking is `tsc -b`'s job.
const workspaces = ['packages', 'apps'].flatMap((dir) =>
  existsSync(join(__dirname, dir)) ? readdirSync(join(__dirname, dir)).map((name) => ({ dir, name })) : [],
);

const config: Config = {
  projects: workspaces
    .filter(({ dir, name }) => existsSync(join(__dirname, dir, name, 'test')))
    .map(({ dir, name }) => ({
      displayName: name,
      rootDir: `${dir}/${name}`,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      transform: { '^.+\\.(t|j)sx?$': '@swc/jest' },
      // nanoid ships ESM only, so it has to go through the transform too.
      transformIgnorePatterns: ['/node_modules/(?!nanoid/)'],
      testEnvironment: 'node',
      // Workspaces import each other by package name; tests run against the sources, not a build.
      // Apps are workspaces too (the demo imports the leader election and the cache), so both folders are tried.
      moduleNameMapper: {
        '^@troupe/([a-z-]+)$': [
          '<rootDir>/../../packages/$1/src/index.ts',
          '<rootDir>/../../apps/$1/src/index.ts',
        ],
      },
    })),
};

export default config;
