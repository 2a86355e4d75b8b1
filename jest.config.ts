import type { Config } from 'jest';

// One Jest project per workspace, all transformed by SWC; type checking is `tsc -b`'s job.
const shared = {
  transform: { '^.+\\.(t|j)sx?$': '@swc/jest' },
  // nanoid ships ESM only, so it has to go through the transform too.
  transformIgnorePatterns: ['/node_modules/(?!nanoid/)'],
  testEnvironment: 'node',
  // Workspaces import each other by package name; tests run against the sources, not a build.
  moduleNameMapper: { '^@troupe/([a-z-]+)$': '<rootDir>/../../packages/$1/src/index.ts' },
};

const config: Config = {
  projects: [
    {
      ...shared,
      displayName: 'core',
      rootDir: 'packages/core',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
    },
  ],
};

export default config;
